import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// SIGTERM stops the API and a worker within their shutdown time-outs whatever they are
/// doing: here, a request and a job each wait on a row lock that is never released while the
/// process is asked to stop (with lock and statement limits far longer than the test).
extension OfflineMemoryAPI {
    @Suite struct ShutdownDeadline {
        static let patientDatabase = [
            "DATABASE_LOCK_TIMEOUT_MS": "600000", "DATABASE_STATEMENT_TIMEOUT_MS": "600000",
            "WORKER_DATABASE_LOCK_TIMEOUT_MS": "600000", "WORKER_DATABASE_STATEMENT_TIMEOUT_MS": "600000",
        ]

        /// Locks the memory's row on a connection of the test's own until `body` returns.
        static func holdingRowLock<T>(_ server: TestServer, memory id: UUID, _ body: () async throws -> T) async throws -> T {
            let locker = try await PostgresConnection.open(url: server.database.url, applicationName: "shutdown-tests-locker")
            defer { locker.close() }
            try await locker.run("BEGIN")
            try await locker.run("SELECT id FROM memories WHERE id = \(id) FOR UPDATE")
            do {
                let value = try await body()
                _ = try? await locker.run("COMMIT")
                return value
            } catch {
                _ = try? await locker.run("COMMIT")
                throw error
            }
        }

        @Test func theAPIStopsWithinItsTimeOutWhileARequestWaitsOnALock() async throws {
            try await TestServer.run(Self.patientDatabase, workerQueues: nil) { server in
                let token = server.newToken("shutdown")
                let id = try #require(try await server.createMemory(token, "I keep bees.")["id"]?.string)
                let uuid = try #require(UUID(uuidString: id))
                let port = try freePort()
                let api = try ChildProcess("context0-api", environment: TestServer.baseEnvironment.merging(Self.patientDatabase) { $1 }.merging([
                    "DATABASE_URL": server.database.url, "PORT": String(port), "API_SHUTDOWN_TIMEOUT_MS": "1500",
                ]) { $1 })
                defer { api.stopNow() }
                try await eventually("the API to answer") { await httpGet("http://127.0.0.1:\(port)/api/v1/ping")?.status == 200 }
                try await Self.holdingRowLock(server, memory: uuid) {
                    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/memories/\(id)")!)
                    request.httpMethod = "PUT"
                    request.timeoutInterval = 600
                    request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                    request.httpBody = Data(#"{"text": "I keep two hives of bees."}"#.utf8)
                    let put = Task { try? await URLSession.shared.data(for: request) }
                    defer { put.cancel() }
                    try await IndexRace.waitBlocked(server, "context0-api")
                    api.signal(SIGTERM)
                    let status = try await api.waitForExit(timeout: .seconds(60))
                    #expect(status == 1, "ended by its deadline, the request still waiting: \(api.errorOutput.suffix(600))")
                }
            }
        }

        @Test func aWorkerStopsWithinItsTimeOutWhileAJobWaitsOnALock() async throws {
            let settings = Self.patientDatabase.merging(["WORKER_SHUTDOWN_TIMEOUT_MS": "1000"]) { $1 }
            try await TestServer.run(settings, workerQueues: "embedding=1") { server in
                let worker = try #require(server.worker)
                let token = server.newToken("shutdown")
                let queue = JobQueue()
                try await server.pool.withConnection { try queue.setPaused(true, queue: "embedding", on: $0) }
                let created = try await server.createMemory(token, "I keep bees.")
                let uuid = try #require(created["id"]?.string.flatMap(UUID.init(uuidString:)))
                try await Self.holdingRowLock(server, memory: uuid) {
                    try await server.pool.withConnection { try queue.setPaused(false, queue: "embedding", on: $0) }
                    try await IndexRace.waitBlocked(server, "context0-worker")
                    worker.signal(SIGTERM)
                    let status = try await worker.waitForExit(timeout: .seconds(60))
                    #expect(status == 1, "ended by its deadline, the job still waiting: \(worker.errorOutput.suffix(600))")
                }
            }
        }
    }
}
