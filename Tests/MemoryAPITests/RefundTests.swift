import Foundation
import Postgres
import TestSupport
import Testing

/// A request the server fails (a 5xx) is neither billed nor held against the hourly limit:
/// admission counted it before its work, and the count is taken back.
@Suite(.timeLimit(.minutes(2)))
struct RequestRefundTests {
    @Test func aRequestAnswered503IsNotCounted() async throws {
        try await TestServer.run(["DATABASE_LOCK_TIMEOUT_MS": "300"], workerQueues: nil) { server in
            let user = TestServer.newUser("refund")
            let token = server.token(user)
            let id = try #require(try await server.createMemory(token, "I keep bees.")["id"]?.string)
            let uuid = try #require(UUID(uuidString: id))
            try await OfflineMemoryAPI.ShutdownDeadline.holdingRowLock(server, memory: uuid) {
                // Waits on the lock past the lock time-out: 503, after admission counted it.
                let put = try await server.put("/memories/\(id)", token: token, ["text": "I keep two hives of bees."])
                #expect(put.status == 503, "\(put)")
            }
            let served = try await server.get("/memories/\(id)", token: token)
            #expect(served.status == 200)
            // Counted: the create and the read; the failed update is taken back.
            try await eventually("the failed request to be refunded", timeout: .seconds(30)) {
                try await Self.counted(server, user) == 2
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await Self.counted(server, user) == 2, "refunded once, not again")
        }
    }

    static func counted(_ server: TestServer, _ user: String) async throws -> Int {
        try await server.pool.query("""
            SELECT coalesce(sum(quantity), 0)::int8 AS n FROM usage_hourly WHERE user_id = \(user) AND metric = 'requests.standard'
            """).first!.decode("n", as: Int.self)
    }
}
