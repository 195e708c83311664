import Auth
import Crypto
import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

/// The Context API's own requests and waits on the shared `TestServer`.
extension TestServer {
    func contextPost(_ endpoint: String, token: String?, _ body: RequestBody) async throws -> HTTPAnswer {
        try await send("POST", "/context/\(endpoint)", token: token, body: body)
    }

    func contextGet(_ endpoint: String, token: String?) async throws -> HTTPAnswer {
        try await send("GET", "/context/\(endpoint)", token: token)
    }

    /// `POST add`, which must answer 201; the ids of the documents it reports.
    @discardableResult
    func add(token: String, _ body: RequestBody, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        let answer = try await contextPost("add", token: token, body)
        guard answer.status == 201 else {
            Issue.record("add answered \(answer)", sourceLocation: sourceLocation)
            throw HarnessFailure("add failed: \(answer)")
        }
        let documents = try #require(answer.json?["documents"]?.array, "add's body lists documents: \(answer)", sourceLocation: sourceLocation)
        return try documents.map { try #require($0["id"]?.string, sourceLocation: sourceLocation) }
    }

    /// Adds the documents and waits until they are indexed; their ids.
    @discardableResult
    func addIndexed(token: String, _ body: RequestBody, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        let ids = try await add(token: token, body, sourceLocation: sourceLocation)
        try await waitIndexed(ids)
        return ids
    }

    /// Waits until every document is indexed (fails at once if one failed).
    func waitIndexed(_ ids: [String], timeout: Duration = .seconds(120)) async throws {
        let uuids = ids.compactMap { UUID(uuidString: $0) }
        guard uuids.count == ids.count else { throw HarnessFailure("not document ids: \(ids)") }
        try await eventually("documents \(ids) to be indexed", timeout: timeout, interval: .milliseconds(50)) {
            let rows = try await pool.query("SELECT state FROM context_documents WHERE id = ANY(\(uuids))").rows
            let states = try rows.map { try $0.decode("state", as: String.self) }
            if states.contains("failed") { throw HarnessFailure("a document failed to index: \(states)") }
            if states.count != uuids.count { throw HarnessFailure("documents vanished while waiting: \(states)") }
            return states.allSatisfy { $0 == "indexed" }
        }
    }

    /// `POST search` with thresholds 0...1 unless given.
    func search(token: String, _ query: String, minimum: Double = 0, maximum: Double = 1, extra: [String: Any] = [:]) async throws -> HTTPAnswer {
        var body: [String: Any] = ["query": query, "similarity_threshold": maximum, "minimum_similarity_threshold": minimum]
        body.merge(extra) { $1 }
        return try await contextPost("search", token: token, .json(body))
    }

    /// `search` that must answer 202; its results.
    func searchResults(token: String, _ query: String, minimum: Double = 0, maximum: Double = 1, extra: [String: Any] = [:],
                       sourceLocation: SourceLocation = #_sourceLocation) async throws -> [JSON] {
        let answer = try await search(token: token, query, minimum: minimum, maximum: maximum, extra: extra)
        #expect(answer.status == 202, "search answered \(answer)", sourceLocation: sourceLocation)
        return try #require(answer.json?["results"]?.array, "search's body has results: \(answer)", sourceLocation: sourceLocation)
    }

    /// `GET view` (with a query string such as `?source=x`) that must answer 200.
    func view(token: String, _ query: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        let answer = try await contextGet("view" + query, token: token)
        #expect(answer.status == 200, "view answered \(answer)", sourceLocation: sourceLocation)
        return try #require(answer.json, "view answered JSON: \(answer)", sourceLocation: sourceLocation)
    }

    /// `GET view/docs` that must answer 200.
    func viewDocs(token: String, _ query: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        let answer = try await contextGet("view/docs" + query, token: token)
        #expect(answer.status == 200, "view/docs answered \(answer)", sourceLocation: sourceLocation)
        return try #require(answer.json, "view/docs answered JSON: \(answer)", sourceLocation: sourceLocation)
    }

    // MARK: Database

    func nodeCount(document id: String) async throws -> Int {
        let uuid = try #require(UUID(uuidString: id))
        return try await pool.query("SELECT count(*) AS n FROM context_nodes WHERE document_id = \(uuid)").first!.decode("n", as: Int.self)
    }

    func documentExists(_ id: String) async throws -> Bool {
        let uuid = try #require(UUID(uuidString: id))
        return try await pool.query("SELECT count(*) AS n FROM context_documents WHERE id = \(uuid)").first!.decode("n", as: Int.self) == 1
    }

    /// Jobs of `kinds` whose `documentID` argument is this document, as (id, state).
    func jobs(document id: String, kinds: [String] = ["context.ingest", "context.embed"]) async throws -> [(id: Int, kind: String, state: String)] {
        try await pool.query("""
            SELECT id, kind, state::text AS state FROM jobs
            WHERE kind = ANY(\(kinds)) AND lower(args->>'documentID') = \(id.lowercased()) ORDER BY id
            """).rows.map { (try $0.decode("id"), try $0.decode("kind"), try $0.decode("state")) }
    }
}

// MARK: Hand-made tokens

/// JWTs built by hand, to be refused.
enum ForgedToken {
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URL(_ text: String) -> String { base64URL(Data(text.utf8)) }

    static func claims(_ user: String, expiresIn: Int = 3600) -> String {
        #"{"exp":\#(Int(Date().timeIntervalSince1970) + expiresIn),"sub":"\#(user)"}"#
    }

    /// `header.payload.signature`, signed HMAC-SHA256 with `secret` whatever the header says,
    /// or with an empty signature when `secret` is nil.
    static func make(header: String, payload: String, secret: String?) -> String {
        let signingInput = base64URL(header) + "." + base64URL(payload)
        guard let secret else { return signingInput + "." }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return signingInput + "." + base64URL(Data(mac))
    }
}

// MARK: Assertions

/// The Context API's error shape: exactly `{"response": string, "error": string}`.
func expectContextError(
    _ answer: HTTPAnswer, _ status: Int, _ what: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let label = what()
    #expect(answer.status == status, "\(label): expected \(status), got \(answer)", sourceLocation: sourceLocation)
    guard let object = answer.json?.object else {
        Issue.record("\(label): the error body is not a JSON object: \(answer)", sourceLocation: sourceLocation)
        return
    }
    #expect(Set(object.keys) == ["response", "error"], "\(label): error keys are \(object.keys.sorted())", sourceLocation: sourceLocation)
    #expect(object["response"]?.string?.isEmpty == false, "\(label): response must be a non-empty string: \(answer)", sourceLocation: sourceLocation)
    #expect(object["error"]?.string?.isEmpty == false, "\(label): error must be a non-empty string: \(answer)", sourceLocation: sourceLocation)
    #expect(answer.headers["content-type"]?.contains("application/json") == true,
            "\(label): content type \(answer.headers["content-type"] ?? "none")", sourceLocation: sourceLocation)
}

/// A document body for `add`: one document with `content`, plus extra fields.
func addBody(_ content: String, source: String, fileName: String? = nil, extra: [String: Any] = [:]) -> RequestBody {
    var document: [String: Any] = ["content": content]
    if let fileName { document["fileName"] = fileName }
    var body: [String: Any] = ["documents": [document], "source": source]
    body.merge(extra) { $1 }
    return .json(body)
}
