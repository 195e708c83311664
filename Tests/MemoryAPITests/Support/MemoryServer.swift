import Auth
import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

/// Offline (no language model) or LLM (the scripted local chat-completions server).
enum ServerMode: String, Sendable {
    case offline, llm
}

extension ScriptedLLM {
    /// The scripted model the enclosing LLM-mode suite started (see `memoryServer(_:)`).
    @TaskLocal static var current: ScriptedLLM?

    /// The language model settings for the API and the worker: this server.
    var settings: [String: String] {
        ["LLM_BASE_URL": baseURL, "LLM_MODEL": "scripted-model", "LLM_API_KEY": "test-key",
         "LLM_TIMEOUT_SECONDS": "30", "LLM_MAX_RETRIES": "1"]
    }
}

extension Trait where Self == TestServerTrait {
    /// A `TestServer` for the suite with no language model (offline), or with both the API
    /// and the worker talking to a `ScriptedLLM` (llm); `settings` are added to (and win over)
    /// the language model's.
    static func memoryServer(_ mode: ServerMode, _ settings: [String: String] = [:]) -> Self {
        .testServer(around: { run in
            guard mode == .llm else { return try await run(settings) }
            let llm = try await ScriptedLLM.start()
            do {
                try await ScriptedLLM.$current.withValue(llm) { try await run(llm.settings.merging(settings) { $1 }) }
            } catch {
                await llm.stop()
                throw error
            }
            await llm.stop()
        })
    }
}

/// The memory, chat, Q&A and job requests and waits the memory tests share.
extension TestServer {
    /// The scripted language model of an LLM-mode suite; nil offline.
    var llm: ScriptedLLM? { ScriptedLLM.current }
    var mode: ServerMode { llm == nil ? .offline : .llm }

    /// The `data` of a success envelope answered with `status`; records an issue otherwise.
    @discardableResult
    func data(_ answer: HTTPAnswer, _ status: Int = 200, _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        expectEnvelope(answer, status, what, sourceLocation: sourceLocation)
        return try #require(answer.json?["data"], "\(what): no data in \(answer)", sourceLocation: sourceLocation)
    }

    /// `POST /memories` (201); the memory.
    @discardableResult
    func createMemory(_ token: String, _ text: String, _ extra: [String: Any] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        var body: [String: Any] = ["text": text]
        body.merge(extra) { $1 }
        return try data(try await post("/memories", token: token, body), 201, "create \(text)", sourceLocation: sourceLocation)
    }

    /// `GET /memories/{id}` that must answer 200.
    func memory(_ token: String, _ id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        try data(try await get("/memories/\(id)", token: token), 200, "get memory \(id)", sourceLocation: sourceLocation)
    }

    /// Waits until the memory's enrichment is done (embedded, category and emotion set); it.
    @discardableResult
    func waitEnriched(_ token: String, _ id: String, timeout: Duration = .seconds(120)) async throws -> JSON {
        var last: JSON?
        try await eventually("memory \(id) to be enriched (last: \(String(describing: last)))", timeout: timeout, interval: .milliseconds(50)) {
            let answer = try await get("/memories/\(id)", token: token)
            guard answer.status == 200 else { throw HarnessFailure("memory \(id) vanished: \(answer)") }
            last = answer.json?["data"]
            if last?["enrichment"]?.string == "failed" { throw HarnessFailure("enrichment failed: \(answer)") }
            return last?["enrichment"]?.string == "done"
        }
        return try #require(last)
    }

    /// Creates memories and waits for all of them to be enriched; their ids, in order.
    func createEnriched(_ token: String, _ texts: [String], _ extra: [String: Any] = [:]) async throws -> [String] {
        var ids = [String]()
        for text in texts { ids.append(try #require(try await createMemory(token, text, extra)["id"]?.string)) }
        for id in ids { try await waitEnriched(token, id) }
        return ids
    }

    /// `GET /jobs/{id}` until the job is completed (fails at once if it failed); the job.
    @discardableResult
    func waitJob(_ token: String, _ id: Int, timeout: Duration = .seconds(120)) async throws -> JSON {
        var last: JSON?
        try await eventually("job \(id) to complete (last: \(String(describing: last)))", timeout: timeout, interval: .milliseconds(50)) {
            let answer = try await get("/jobs/\(id)", token: token)
            guard answer.status == 200 else { throw HarnessFailure("job \(id): \(answer)") }
            last = answer.json?["data"]
            if let state = last?["state"]?.string, ["failed", "cancelled"].contains(state) { throw HarnessFailure("job \(id) \(state): \(answer)") }
            return last?["state"]?.string == "completed"
        }
        return try #require(last)
    }

    /// Waits until no job of `kinds` owned by `user` is waiting or running.
    func waitIdle(user: String, kinds: [String] = ["memory.index", "memory.extract"], timeout: Duration = .seconds(120)) async throws {
        try await eventually("\(user)'s \(kinds) jobs to finish", timeout: timeout, interval: .milliseconds(50)) {
            let rows = try await pool.query("""
                SELECT state::text AS state FROM jobs WHERE owner_user_id = \(user) AND kind = ANY(\(kinds)) AND state IN ('available', 'running', 'failed')
                """).rows
            if try rows.contains(where: { try $0.decode("state", as: String.self) == "failed" }) { throw HarnessFailure("a job of \(user) failed") }
            return rows.isEmpty
        }
    }

    /// `GET /memories` with a query string; the page.
    func list(_ token: String, _ query: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        try data(try await get("/memories" + query, token: token), 200, "list \(query)", sourceLocation: sourceLocation)
    }

    /// The texts of the live memories a list shows (up to 100).
    func texts(_ token: String, _ query: String = "?limit=100") async throws -> [String] {
        try await list(token, query)["items"]?.array?.compactMap { $0["text"]?.string } ?? []
    }

    /// `POST /memories/search` that must answer 200; its results.
    func search(_ token: String, _ query: String, _ extra: [String: Any] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [JSON] {
        var body: [String: Any] = ["query": query]
        body.merge(extra) { $1 }
        let data = try data(try await post("/memories/search", token: token, body), 200, "search \(query)", sourceLocation: sourceLocation)
        return try #require(data["results"]?.array, "search has results: \(data)", sourceLocation: sourceLocation)
    }

    /// `POST /chat/sessions` (201); the session's id.
    func createSession(_ token: String, _ body: [String: Any] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let session = try data(try await post("/chat/sessions", token: token, body), 201, "create session", sourceLocation: sourceLocation)
        return try #require(session["id"]?.string, sourceLocation: sourceLocation)
    }

    /// `POST /chat/sessions/{id}/messages` (200 or 201); the reply's data.
    func sendMessage(_ token: String, _ session: String, _ content: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        let answer = try await post("/chat/sessions/\(session)/messages", token: token, ["content": content])
        #expect([200, 201].contains(answer.status), "send message: \(answer)", sourceLocation: sourceLocation)
        return try data(answer, answer.status, "send message", sourceLocation: sourceLocation)
    }

    /// Sends a message and waits for the extraction it queues to complete; the reply.
    @discardableResult
    func sendAndExtract(_ token: String, _ session: String, _ content: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSON {
        let reply = try await sendMessage(token, session, content, sourceLocation: sourceLocation)
        let job = try #require(reply["extraction_job_id"]?.int, "an auto-extracting session queues extraction: \(reply)", sourceLocation: sourceLocation)
        try await waitJob(token, job)
        return reply
    }

    // MARK: Database

    func memoryRow(_ id: String) async throws -> PostgresRow? {
        let uuid = try #require(UUID(uuidString: id))
        return try await pool.query("""
            SELECT text, deleted_at, valid_until, superseded_by::text AS superseded_by FROM memories WHERE id = \(uuid)
            """).first
    }

    /// Every history row of a memory: (version, change, reason, text, valid_until set?).
    func historyRows(_ id: String) async throws -> [(version: Int, change: String, reason: String?, text: String, validUntil: Date?)] {
        let uuid = try #require(UUID(uuidString: id))
        return try await pool.query("""
            SELECT version, change, reason, text, valid_until FROM memory_history WHERE memory_id = \(uuid) ORDER BY id
            """).rows.map {
            (try $0.decode("version"), try $0.decode("change"), try $0.decode("reason", as: String?.self), try $0.decode("text"),
             try $0.decode("valid_until", as: Date?.self))
        }
    }
}

// MARK: Assertions

/// The Context0 success envelope: `{"success": true, "message": string, "data": …}`.
func expectEnvelope(_ answer: HTTPAnswer, _ status: Int, _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(answer.status == status, "\(what): expected \(status), got \(answer)", sourceLocation: sourceLocation)
    guard let object = answer.json?.object else {
        Issue.record("\(what): the body is not a JSON object: \(answer)", sourceLocation: sourceLocation)
        return
    }
    #expect(object["success"] == .bool(true), "\(what): success must be true: \(answer)", sourceLocation: sourceLocation)
    #expect(object["message"]?.string != nil, "\(what): message must be a string: \(answer)", sourceLocation: sourceLocation)
    #expect(object["data"] != nil, "\(what): data is missing: \(answer)", sourceLocation: sourceLocation)
    #expect(answer.headers["content-type"]?.contains("application/json") == true, "\(what): content type", sourceLocation: sourceLocation)
}

/// The Context0 error shape: `{"success": false, "message", "error": {"code", "details", "field"?}}`
/// with `status` and `code`, and `field` when given (absent when `field` is nil and `noField`).
func expectError(
    _ answer: HTTPAnswer, _ status: Int, _ code: String, field: String? = nil, noField: Bool = false, _ what: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(answer.status == status, "\(what): expected \(status) \(code), got \(answer)", sourceLocation: sourceLocation)
    guard let object = answer.json?.object else {
        Issue.record("\(what): the error body is not a JSON object: \(answer)", sourceLocation: sourceLocation)
        return
    }
    #expect(object["success"] == .bool(false), "\(what): success must be false: \(answer)", sourceLocation: sourceLocation)
    #expect(object["message"]?.string?.isEmpty == false, "\(what): message must be a non-empty string: \(answer)", sourceLocation: sourceLocation)
    #expect(object["data"] == nil, "\(what): an error has no data: \(answer)", sourceLocation: sourceLocation)
    let error = object["error"]
    #expect(error?["code"]?.string == code, "\(what): error.code must be \(code): \(answer)", sourceLocation: sourceLocation)
    #expect(error?["details"]?.string?.isEmpty == false, "\(what): error.details must be a non-empty string: \(answer)", sourceLocation: sourceLocation)
    if let field {
        #expect(error?["field"]?.string == field, "\(what): error.field must be \(field): \(answer)", sourceLocation: sourceLocation)
    } else if noField {
        #expect(error?["field"] == nil, "\(what): error.field must be absent: \(answer)", sourceLocation: sourceLocation)
    }
}

/// A 422 VALIDATION_ERROR naming `field`.
func expectValidation(_ answer: HTTPAnswer, field: String, _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    expectError(answer, 422, "VALIDATION_ERROR", field: field, what, sourceLocation: sourceLocation)
}

/// A 404 RESOURCE_NOT_FOUND.
func expectNotFound(_ answer: HTTPAnswer, _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    expectError(answer, 404, "RESOURCE_NOT_FOUND", what, sourceLocation: sourceLocation)
}
