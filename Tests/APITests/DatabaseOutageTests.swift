import Foundation
import TestSupport
import Testing

/// While the API cannot reach PostgreSQL it answers 503 with `Retry-After`, in each API's
/// error shape, without waiting on the network for every request; `/ready` says so and
/// `/ping` keeps answering. When the database is back, everything recovers by itself.
@Suite struct DatabaseOutageTests {
    static func expectUnavailable(_ answer: HTTPAnswer, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == 503, "\(what): \(answer)", sourceLocation: sourceLocation)
        #expect(answer.headers["retry-after"].flatMap(Int.init).map { $0 >= 1 } == true, "\(what): Retry-After: \(answer.headers)", sourceLocation: sourceLocation)
    }

    @Test func aDownDatabaseIsAnswered503AndTheAPIRecoversByItself() async throws {
        try await TestServer.run(workerQueues: nil, proxyingDatabase: true) { server in
            let proxy = try #require(server.databaseProxy)
            let token = server.newToken()
            #expect(try await server.get("/memories", token: token).status == 200)
            #expect(try await server.get("/ready", token: nil).status == 200)

            proxy.set(.refusing)
            let memories = try await server.get("/memories", token: token)
            Self.expectUnavailable(memories, "GET /memories")
            #expect(memories.json?["success"]?.bool == false && memories.json?["error"]?["code"]?.string == "SERVICE_UNAVAILABLE", "\(memories)")
            let search = try await server.post("/context/search", token: token, [
                "query": "anything", "similarity_threshold": 1, "minimum_similarity_threshold": 0,
            ])
            Self.expectUnavailable(search, "POST /context/search")
            #expect(search.json?["error"]?.string == "SERVICE_UNAVAILABLE" && search.json?["response"]?.string != nil, "the Context API's shape: \(search)")
            Self.expectUnavailable(try await server.get("/ready", token: nil), "GET /ready")
            let ping = try await server.get("/ping", token: nil)
            #expect(ping.status == 200 && ping.json?["data"]?["database"]?.string == "unavailable", "\(ping)")

            proxy.set(.forwarding)
            try await eventually("the API serves again") {
                try await server.get("/memories", token: token).status == 200
            }
            #expect(try await server.get("/ready", token: nil).status == 200)
        }
    }

    /// A host that stopped answering costs one connection attempt (the connect time-out),
    /// not one per request: the calls after it fail at once, without touching the network.
    @Test func afterOneFailedAttemptRequestsFailFastWithoutConnecting() async throws {
        // A fail-fast window longer than the test, so that no probe goes out meanwhile.
        try await TestServer.run(
            ["DATABASE_FAIL_FAST_MS": "600000", "DATABASE_CONNECT_TIMEOUT_MS": "2000"], workerQueues: nil, proxyingDatabase: true
        ) { server in
            let proxy = try #require(server.databaseProxy)
            let token = server.newToken()
            #expect(try await server.get("/memories", token: token).status == 200)
            proxy.set(.blackHoling)
            Self.expectUnavailable(try await server.get("/memories", token: token), "the first request, after the connect time-out")
            let attempts = proxy.acceptedConnections
            for _ in 0..<5 { Self.expectUnavailable(try await server.get("/memories", token: token), "a request while the database is away") }
            #expect(proxy.acceptedConnections == attempts, "no connection was attempted for the requests after the first failure")
        }
    }
}
