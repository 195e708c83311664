import Foundation
import TestSupport
import Testing

/// Besides `Authorization: Bearer`, an API key is accepted as mem0's clients send it
/// (`Authorization: Token <key>`) and as `X-API-Key: <key>`, on every route; a JWT only as
/// a bearer token.
@Suite struct CredentialHeaderTests {
    @Test func anAPIKeyIsAcceptedInEveryHeaderAJWTOnlyAsBearer() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let user = TestServer.newUser("headers")
            let (_, key) = try await server.createKey(user: user)
            for headers in [["Authorization": "Token \(key)"], ["X-API-Key": key], ["Authorization": "Bearer \(key)"]] {
                let answer = try await available { try await server.send("GET", "/memories", headers: headers) }
                #expect(answer.status == 200, "\(headers): \(answer)")
            }
            let mcp = try await available {
                try await server.send(
                    "POST", "/mcp", body: .json(["jsonrpc": "2.0", "id": 1, "method": "ping"]), headers: ["X-API-Key": key], prefix: "")
            }
            #expect(mcp.status == 200, "\(mcp)")
            for headers in [["Authorization": "Token \(server.token(user))"], ["X-API-Key": server.token(user)],
                            ["Authorization": "Token c0_" + String(repeating: "x", count: 40)], ["Authorization": "Basic abc"]] {
                let answer = try await available { try await server.send("GET", "/memories", headers: headers) }
                #expect(answer.status == 401 && answer.json?["error"]?["code"]?.string == "INVALID_TOKEN", "\(headers): \(answer)")
            }
            let none = try await available { try await server.send("GET", "/memories") }
            #expect(none.status == 401 && none.json?["error"]?["code"]?.string == "AUTH_REQUIRED", "\(none)")
        }
    }
}

/// On a loaded machine the test server's first database connection may time out, and it
/// answers 503 "try again shortly"; this test is about credentials, so it tries again.
private func available(_ send: () async throws -> HTTPAnswer) async throws -> HTTPAnswer {
    var answer: HTTPAnswer?
    try await eventually("an answer other than 503") {
        answer = try await send()
        return answer?.status != 503
    }
    return answer!
}
