import Foundation
import TestSupport
import Testing

/// What a request is allowed and charged follows the route the router matched: its scopes,
/// its rate-limit class and its quotas are declared where the route is registered, so no
/// spelling of a path (a trailing or doubled slash) moves a request to a cheaper class.
@Suite struct RouteAccessTests {
    /// The OpenAPI document's operations as (method, path below /api/v1) with example ids.
    static func operations(_ server: TestServer) async throws -> [(method: String, path: String, isPublic: Bool)] {
        let served = try await server.get("/openapi.json", token: nil)
        let document = try #require(try JSONSerialization.jsonObject(with: served.body) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        return paths.flatMap { template, operations in
            let example = template.hasPrefix("/api/v1/jobs") ? "987654" : "00000000-0000-4000-8000-000000000000"
            let path = String(template.replacingOccurrences(of: "{id}", with: example).dropFirst("/api/v1".count))
            return operations.map { method, operation in
                (method.uppercased(), path, (operation["security"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func aTrailingOrDoubledSlashIsCountedInTheRoutesOwnClass() async throws {
        try await TestServer.run(["RATE_LIMITS": "standard=1000,search=1,batch=1,ai=1"], workerQueues: nil) { server in
            let cases: [(first: String, second: String, body: [String: Any], limit: String)] = [
                ("/qa/ask/", "//qa/ask", ["question": "Where do I live?"], "1"),
                ("/memories/search/", "/memories//search", ["query": "lisbon"], "1"),
                ("/memories/batch/", "//memories/batch/", ["operations": [["op": "delete", "id": "00000000-0000-4000-8000-000000000000"]]], "1"),
            ]
            for item in cases {
                let token = server.newToken("slashes")
                let first = try await server.post(item.first, token: token, item.body)
                #expect(first.status < 300, "\(item.first): \(first)")
                #expect(first.headers["x-ratelimit-limit"] == item.limit, "\(item.first) counted in another class: \(first.headers)")
                let second = try await server.post(item.second, token: token, item.body)
                #expect(second.status == 429, "\(item.second) after \(item.first): \(second)")
                #expect(second.json?["error"]?["code"]?.string == "RATE_LIMIT_EXCEEDED", "\(second)")
            }
            // The Context API's search, and its error shape for the refusal.
            let token = server.newToken("slashes")
            let first = try await server.post("/context/search/", token: token, ["query": "x", "similarity_threshold": 1, "minimum_similarity_threshold": 0])
            #expect(first.status == 202, "\(first)")
            #expect(first.headers["x-ratelimit-limit"] == "1", "\(first.headers)")
            let second = try await server.post("//context//search", token: token, ["query": "x", "similarity_threshold": 1, "minimum_similarity_threshold": 0])
            #expect(second.status == 429, "\(second)")
            #expect(second.json?["error"]?.string == "RATE_LIMIT_EXCEEDED", "\(second)")
            #expect(second.json?["response"]?.string != nil, "\(second)")
        }
    }

    @Test func everyAuthenticatedRouteDemandsAScope() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let user = TestServer.newUser("no-scopes")
            let token = server.token(user, scopes: [])
            for operation in try await Self.operations(server) where !operation.isPublic {
                let body: RequestBody = operation.method == "GET" || operation.method == "DELETE" ? .none : .text("{}")
                let answer = try await server.send(operation.method, operation.path, token: token, body: body)
                #expect(answer.status == 403, "\(operation.method) \(operation.path) with no scopes: \(answer)")
                #expect(answer.headers["x-ratelimit-limit"] != nil, "\(operation.method) \(operation.path): \(answer.headers)")
            }
        }
    }

    @Test func aJobIsShownOnlyToATokenWithAStoreScope() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let user = TestServer.newUser("jobs")
            let added = try await server.post("/context/add", token: server.token(user), ["documents": [["content": "A note about jobs."]], "source": "jobs"])
            #expect(added.status == 201, "\(added)")
            let job = try #require(added.json?["documents"]?[0]?["job_id"]?.int, "\(added)")
            #expect(try await server.get("/jobs/\(job)", token: server.token(user, scopes: ["context:read"])).status == 200)
            // No store scope at all: the route is refused.
            let billing = try await server.get("/jobs/\(job)", token: server.token(user, scopes: ["billing:read"]))
            #expect(billing.status == 403, "\(billing)")
            #expect(billing.json?["error"]?["code"]?.string == "INSUFFICIENT_PERMISSIONS", "\(billing)")
        }
    }

    @Test func malformedAPIKeysAreRefusedBeforeAnyLookup() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            for key in ["c0_", "c0_short", "c0_" + String(repeating: "x", count: 39), "c0_" + String(repeating: "é", count: 40),
                        "c0_" + String(repeating: "x", count: 39) + "."] {
                let answer = try await server.get("/memories", token: key)
                #expect(answer.status == 401, "\(key): \(answer)")
                #expect(answer.json?["error"]?["details"]?.string == "malformed API key", "\(key): \(answer)")
            }
        }
    }

    @Test func aRevokedKeyIsRefusedThoughItsLookupIsCached() async throws {
        // An hour-long cache: only the revocation announcement can end the key's entry.
        try await TestServer.run(["API_KEY_CACHE_SECONDS": "3600"], workerQueues: nil) { server in
            let key = try await server.createKey(user: TestServer.newUser("revoked"))
            #expect(try await server.get("/memories", token: key.key).status == 200)
            try await server.revokeKey(key.id)
            try await eventually("the revoked key is refused") {
                try await server.get("/memories", token: key.key).status == 401
            }
        }
    }
}
