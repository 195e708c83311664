import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

/// PostgreSQL restarts under a running API and worker. `make test` runs this suite last
/// and alone (it takes the shared server down), and only against the embedded server,
/// whose control script it gets in `CONTEXT0_POSTGRES_SCRIPT`.
@Suite(.serialized) struct ServerRestartTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CONTEXT0_POSTGRES_SCRIPT"] != nil))
    func apiAndWorkerRecoverByThemselvesAndNoJobIsLost() async throws {
        let script = ProcessInfo.processInfo.environment["CONTEXT0_POSTGRES_SCRIPT"]!
        try await TestDatabase.with { database, _ in try await restartUnderLoad(database, script: script) }
    }

    private func restartUnderLoad(_ database: TestDatabase, script: String) async throws {
        let port = try freePort()
        let environment = [
            "DATABASE_URL": database.url, "PORT": String(port), "WORKER_QUEUES": "default=8",
            "WORKER_HEARTBEAT_INTERVAL_MS": "200", "WORKER_POLL_INTERVAL_MS": "200", "WORKER_DEAD_AFTER_MS": "30000",
        ]
        let api = try ChildProcess("context0-api", environment: environment)
        let worker = try ChildProcess("context0-worker", environment: environment)
        defer {
            api.signal(SIGKILL)
            worker.signal(SIGKILL)
        }
        let queue = JobQueue()
        try await eventually("the API to answer") { await ping(port) == "ok" }

        let before = try await enqueue(30, milliseconds: 300, queue: queue, url: database.url)
        let startedAt = try await postmasterStart(database.url)
        try await restartPostgres(script)
        #expect(try await postmasterStart(database.url) != startedAt, "PostgreSQL did not restart")
        // A fresh connection works as soon as the server is back.
        let after = try await enqueue(30, milliseconds: 10, queue: queue, url: database.url)

        var states = [String]()
        do {
            try await eventually("every job to complete", timeout: .seconds(120), interval: .milliseconds(200)) {
                states = try await jobStates(database.url)
                return states == ["completed:\(before.count + after.count)"]
            }
        } catch {
            print("job states: \(states)\nworker log:\n\(worker.errorOutput)\napi log:\n\(api.errorOutput)")
            throw error
        }
        try await eventually("the API to see the database again") { await ping(port) == "ok" }
        #expect(api.process.isRunning, "the API died: \(api.errorOutput)")
        #expect(worker.process.isRunning, "the worker died: \(worker.errorOutput)")
    }

    private func enqueue(_ count: Int, milliseconds: Int, queue: JobQueue, url: String) async throws -> [Int] {
        try await runBlocking {
            let connection = try PostgresConnection(url: url)
            let jobs = (0..<count).map { _ in NewJob(kind: "diagnostic.sleep", args: #"{"milliseconds": \#(milliseconds)}"#) }
            return try connection.transaction { try queue.enqueue(jobs, on: $0) }
        }
    }

    private func jobStates(_ url: String) async throws -> [String] {
        try await runBlocking {
            try PostgresConnection(url: url).query("SELECT state::text || ':' || count(*) AS s FROM jobs WHERE kind LIKE 'diagnostic.%' GROUP BY state")
                .rows.map { try $0.decode("s", as: String.self) }
        }
    }

    private func postmasterStart(_ url: String) async throws -> Date {
        try await runBlocking { try PostgresConnection(url: url).query("SELECT pg_postmaster_start_time() AS started").first!.decode("started") }
    }

    private func restartPostgres(_ script: String) async throws {
        for command in ["stop", "start"] {
            let status = try await runBlocking {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: script)
                process.arguments = [command]
                // make test exports DATABASE_URL for the embedded server; the script must not
                // mistake it for an external one.
                process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "DATABASE_URL" }
                try process.run()
                process.waitUntilExit()
                return process.terminationStatus
            }
            #expect(status == 0, "postgres.sh \(command) failed")
        }
    }

    private func ping(_ port: Int) async -> String? {
        guard let (status, body) = await httpGet("http://127.0.0.1:\(port)/api/v1/ping"), status == 200,
              let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let data = json["data"] as? [String: Any] else { return nil }
        return data["database"] as? String
    }
}
