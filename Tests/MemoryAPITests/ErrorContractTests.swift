import Foundation
import TestSupport
import Testing

/// The status and error codes of the spec on every memory, chat, Q&A and job endpoint:
/// 401 AUTH_REQUIRED / INVALID_TOKEN, 403 INSUFFICIENT_PERMISSIONS, 400 for unreadable
/// bodies, 422 VALIDATION_ERROR with `field`, 404 RESOURCE_NOT_FOUND, in the error shape.
extension OfflineMemoryAPI {
    @Suite struct ErrorContract {
        struct Endpoint: CustomStringConvertible {
            var method: String
            var path: String
            var body: [String: Any]?
            var scope: String
            var description: String { "\(method) \(path)" }
        }

        /// Every endpoint, with a valid body and the scope it needs; `{sid}`, `{mid}` and
        /// `{job}` are filled with the owner's ids.
        static func endpoints(memory: String, session: String, job: Int) -> [Endpoint] {
            [
                Endpoint(method: "POST", path: "/memories", body: ["text": "I like long walks."], scope: "memories:write"),
                Endpoint(method: "GET", path: "/memories", body: nil, scope: "memories:read"),
                Endpoint(method: "GET", path: "/memories/\(memory)", body: nil, scope: "memories:read"),
                Endpoint(method: "PUT", path: "/memories/\(memory)", body: ["tags": ["walks"]], scope: "memories:write"),
                Endpoint(method: "POST", path: "/memories/search", body: ["query": "walks"], scope: "memories:read"),
                Endpoint(method: "POST", path: "/memories/batch", body: ["operations": [["op": "create", "text": "I like tea."]]], scope: "memories:write"),
                Endpoint(method: "DELETE", path: "/memories/\(memory)", body: nil, scope: "memories:write"),
                Endpoint(method: "POST", path: "/chat/sessions", body: ["title": "t"], scope: "chat"),
                Endpoint(method: "GET", path: "/chat/sessions", body: nil, scope: "chat"),
                Endpoint(method: "GET", path: "/chat/sessions/\(session)/messages", body: nil, scope: "chat"),
                Endpoint(method: "POST", path: "/chat/sessions/\(session)/messages", body: ["content": "Hello there."], scope: "chat"),
                Endpoint(method: "POST", path: "/chat/sessions/\(session)/extract-memories", body: [:], scope: "memories:write"),
                Endpoint(method: "POST", path: "/qa/ask", body: ["question": "What do I like?"], scope: "qa"),
                Endpoint(method: "GET", path: "/qa/history", body: nil, scope: "qa"),
                Endpoint(method: "GET", path: "/jobs/\(job)", body: nil, scope: ""),
            ]
        }

        static func call(_ server: TestServer, _ endpoint: Endpoint, token: String?, body: RequestBody? = nil, headers: [String: String] = [:]) async throws -> HTTPAnswer {
            let payload = body ?? endpoint.body.map { RequestBody.json($0) } ?? .none
            return try await server.send(endpoint.method, endpoint.path, token: token, body: payload, headers: headers)
        }

        static func fixture(_ server: TestServer, _ token: String) async throws -> (memory: String, session: String, job: Int) {
            let memory = try await server.createMemory(token, "I like long walks by the sea.")
            let session = try await server.createSession(token)
            return (try #require(memory["id"]?.string), session, try #require(memory["job_id"]?.int))
        }

        @Test func missingOrInvalidCredentialsAre401WithTheRightCode() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let (memory, session, job) = try await Self.fixture(server, server.token(user))
            let invalid: [(String, [String: String])] = [
                ("garbage", ["Authorization": "Bearer not.a.jwt"]),
                ("expired", ["Authorization": "Bearer " + server.token(user, expiresIn: -120)]),
                ("wrong secret", ["Authorization": "Bearer " + server.token(user, secret: "some-other-secret-0123456789abcdef")]),
                ("not bearer", ["Authorization": "Basic dXNlcjpwYXNz"]),
                ("empty bearer", ["Authorization": "Bearer "]),
            ]
            for endpoint in Self.endpoints(memory: memory, session: session, job: job) {
                expectError(try await Self.call(server, endpoint, token: nil), 401, "AUTH_REQUIRED", noField: true, "\(endpoint) without a token")
                for (label, headers) in invalid {
                    expectError(try await Self.call(server, endpoint, token: nil, headers: headers), 401, "INVALID_TOKEN", noField: true, "\(endpoint) with a \(label) token")
                }
            }
            #expect(try await server.memory(server.token(user), memory)["tags"] == .array([]), "nothing changed")
        }

        @Test func aTokenWithoutTheScopeIs403AndWithItIsServed() async throws {
            let server = try TestServer.shared
            let user = TestServer.newUser()
            let (memory, session, job) = try await Self.fixture(server, server.token(user))
            let endpoints = Self.endpoints(memory: memory, session: session, job: job)
            for endpoint in endpoints where !endpoint.scope.isEmpty {
                for scopes in [["context:read", "context:write"], [String](), ["analytics:read", "billing:read", "webhooks:manage"]] {
                    let token = server.token(user, scopes: scopes)
                    expectError(try await Self.call(server, endpoint, token: token), 403, "INSUFFICIENT_PERMISSIONS", noField: true, "\(endpoint) with scopes \(scopes)")
                }
                let others = ["memories:read", "memories:write", "chat", "qa"].filter { $0 != endpoint.scope }
                expectError(try await Self.call(server, endpoint, token: server.token(user, scopes: others)), 403, "INSUFFICIENT_PERMISSIONS",
                            noField: true, "\(endpoint) with every other scope \(others)")
            }
            #expect(try await server.memory(server.token(user), memory)["tags"] == .array([]), "refused calls changed nothing")
            // The one scope each needs is enough (DELETE last: it removes the memory).
            for endpoint in endpoints where !endpoint.scope.isEmpty {
                let answer = try await Self.call(server, endpoint, token: server.token(user, scopes: [endpoint.scope]))
                #expect((200..<300).contains(answer.status), "\(endpoint) with only \(endpoint.scope): \(answer)")
                #expect(answer.json?["success"] == .bool(true), "\(endpoint): \(answer)")
            }
            let jobAnswer = try await server.get("/jobs/\(job)", token: server.token(user, scopes: ["context:read"]))
            #expect(jobAnswer.status == 200, "a job is its owner's whatever the scopes: \(jobAnswer)")
        }

        @Test func unreadableBodiesAre400AndBadFieldsAre422() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let (memory, session, job) = try await Self.fixture(server, token)
            for endpoint in Self.endpoints(memory: memory, session: session, job: job) where endpoint.body != nil && !endpoint.path.hasSuffix("extract-memories") {
                let bodies: [(String, Data)] = [
                    ("malformed JSON", Data(#"{"text": "unterminated"#.utf8)), ("an array", Data("[1, 2]".utf8)),
                    ("a string", Data(#""text""#.utf8)), ("invalid UTF-8", Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D])),
                ]
                for (label, data) in bodies {
                    let answer = try await Self.call(server, endpoint, token: token, body: .raw(data))
                    expectError(answer, 400, "VALIDATION_ERROR", noField: true, "\(endpoint) with \(label)")
                }
                expectError(try await Self.call(server, endpoint, token: token, body: .raw(Data())), 400, "VALIDATION_ERROR", "\(endpoint) with no body")
            }
            let fieldCases: [(String, String, [String: Any], String)] = [
                ("POST", "/memories", ["text": ""], "text"),
                ("POST", "/memories", [:], "text"),
                ("POST", "/memories", ["text": 12], "text"),
                ("POST", "/memories", ["text": String(repeating: "x", count: 10_001)], "text"),
                ("POST", "/memories", ["text": "ok text", "tags": "a,b"], "tags"),
                ("POST", "/memories", ["text": "ok text", "tags": [1]], "tags"),
                ("POST", "/memories", ["text": "ok text", "tags": (0...50).map { "t\($0)" }], "tags"),
                ("POST", "/memories", ["text": "ok text", "category": "not a word!"], "category"),
                ("POST", "/memories", ["text": "ok text", "emotion": 3], "emotion"),
                ("POST", "/memories", ["text": "ok text", "metadata": "x"], "metadata"),
                ("POST", "/memories", ["text": "ok text", "source": "telepathy"], "source"),
                ("POST", "/chat/sessions", ["title": 5], "title"),
                ("POST", "/chat/sessions", ["auto_extract": "maybe"], "auto_extract"),
                ("POST", "/chat/sessions/\(session)/messages", [:], "content"),
                ("POST", "/chat/sessions/\(session)/messages", ["content": "   "], "content"),
                ("POST", "/qa/ask", [:], "question"),
                ("POST", "/qa/ask", ["question": ""], "question"),
                ("POST", "/qa/ask", ["question": "Where?", "limit": 0], "limit"),
            ]
            for (method, path, body, field) in fieldCases {
                expectValidation(try await server.send(method, path, token: token, body: .json(body)), field: field, "\(method) \(path) \(body.keys.sorted())")
            }
            for query in ["?limit=101", "?limit=-1", "?skip=-1"] {
                let field = query.contains("skip") ? "skip" : "limit"
                for path in ["/chat/sessions", "/chat/sessions/\(session)/messages", "/qa/history"] {
                    expectValidation(try await server.get(path + query, token: token), field: field, "GET \(path)\(query)")
                }
            }
            for path in ["/chat/sessions/nope/messages", "/memories/nope"] {
                expectValidation(try await server.get(path, token: token), field: "id", "GET \(path)")
            }
            expectValidation(try await server.post("/chat/sessions/nope/extract-memories", token: token, [:]), field: "id")
            for path in ["/jobs/0", "/jobs/-4", "/jobs/abc"] {
                expectValidation(try await server.get(path, token: token), field: "id", "GET \(path)")
            }
        }

        @Test func unknownResourcesAre404() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let unknown = UUID().uuidString.lowercased()
            expectNotFound(try await server.get("/memories/\(unknown)", token: token))
            expectNotFound(try await server.put("/memories/\(unknown)", token: token, ["text": "I am new here."]))
            expectNotFound(try await server.delete("/memories/\(unknown)", token: token))
            expectNotFound(try await server.get("/chat/sessions/\(unknown)/messages", token: token))
            expectNotFound(try await server.post("/chat/sessions/\(unknown)/messages", token: token, ["content": "hi there you"]))
            expectNotFound(try await server.post("/chat/sessions/\(unknown)/extract-memories", token: token, [:]))
            expectNotFound(try await server.get("/jobs/987654321", token: token))
        }
    }
}
