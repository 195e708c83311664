import Foundation
import Postgres
import TestSupport
import Testing

/// `/ready` and `/ping` answer from a connection of their own: a load balancer probing while
/// every request connection is busy learns at once that the database answers, instead of
/// queueing behind the requests (here the pool's acquire time-out is longer than the test,
/// so a probe that queued would never answer in time).
@Suite(.timeLimit(.minutes(2)))
struct HealthProbes {
    static let busyPool = OfflineMemoryAPI.ShutdownDeadline.patientDatabase.merging([
        "API_DB_POOL_SIZE": "2", "DATABASE_ACQUIRE_TIMEOUT_MS": "600000",
    ]) { $1 }

    @Test func readyAndPingAnswerWhileEveryRequestConnectionWaitsOnALock() async throws {
        try await TestServer.run(Self.busyPool, workerQueues: nil) { server in
            let token = server.newToken("probes")
            let id = try #require(try await server.createMemory(token, "I keep bees.")["id"]?.string)
            let uuid = try #require(UUID(uuidString: id))
            try await OfflineMemoryAPI.ShutdownDeadline.holdingRowLock(server, memory: uuid) {
                let puts = (0..<2).map { n in
                    Task { try? await server.put("/memories/\(id)", token: token, ["text": "I keep \(n + 2) hives of bees."]) }
                }
                defer { puts.forEach { $0.cancel() } }
                try await eventually("both request connections to wait on the row lock", timeout: .seconds(60), interval: .milliseconds(20)) {
                    try await Self.waitingOnTheLock(server) == 2
                }
                let ready = try await server.get("/ready", token: nil)
                #expect(ready.status == 200, "\(ready)")
                let ping = try await server.get("/ping", token: nil)
                #expect(ping.status == 200 && ping.json?["data"]?["database"]?.string == "ok", "\(ping)")
                #expect(try await Self.waitingOnTheLock(server) == 2, "the probes did not wait for a request connection")
            }
        }
    }

    /// Sessions of the API blocked on the memory's row lock.
    static func waitingOnTheLock(_ server: TestServer) async throws -> Int {
        try await server.pool.query("""
            SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'context0-api'
              AND cardinality(pg_blocking_pids(pid)) > 0
            """).first!.decode("n", as: Int.self)
    }
}
