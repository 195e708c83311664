import Foundation
import Postgres

extension ChildProcess {
    /// Starts `context0-api` on a free port of 127.0.0.1 with `environment` and waits until
    /// `/api/v1/ping` answers. Tries up to three ports: a port found free can be taken by
    /// another test before the API binds it.
    public static func api(environment: [String: String]) async throws -> (process: ChildProcess, port: Int) {
        var lastError: Error?
        for _ in 0..<3 {
            let port = try freePort()
            let api = try ChildProcess("context0-api", environment: environment.merging([
                "HOST": "127.0.0.1", "PORT": String(port), "LOG_LEVEL": environment["LOG_LEVEL"] ?? "notice",
            ]) { $1 })
            do {
                try await eventually("the API to answer on port \(port)", timeout: .seconds(120), interval: .milliseconds(50)) {
                    try api.requireRunning()
                    return await httpGet("http://127.0.0.1:\(port)/api/v1/ping")?.status == 200
                }
                return (api, port)
            } catch {
                api.stopNow()
                lastError = error
            }
        }
        throw lastError!
    }

    /// Settings that make a worker react within a fraction of a second (polls, heartbeats,
    /// rescue), running `queues` (`name=concurrency,…`).
    public static func fastWorkerSettings(queues: String, deadAfterMilliseconds: Int = 3000, maintenanceMilliseconds: Int = 500) -> [String: String] {
        [
            "WORKER_QUEUES": queues,
            // Several workers and the tests' own API share two cores: one model thread each.
            "MINILM_THREADS": "1",
            "WORKER_POLL_INTERVAL_MS": "200",
            "WORKER_HEARTBEAT_INTERVAL_MS": "200",
            "WORKER_DEAD_AFTER_MS": String(deadAfterMilliseconds),
            "WORKER_MAINTENANCE_INTERVAL_MS": String(maintenanceMilliseconds),
            "LOG_LEVEL": "notice",
        ]
    }

    /// Starts `context0-worker` with `environment` and waits until it has registered and a
    /// LISTEN connection is up (its own, unless a killed worker's lingers), so NOTIFYs reach it.
    public static func worker(environment: [String: String], pool: PostgresPool) async throws -> ChildProcess {
        let worker = try ChildProcess("context0-worker", environment: environment)
        do {
            try await eventually("worker \(worker.pid) to register and listen", timeout: .seconds(120)) {
                try worker.requireRunning()
                guard try await pool.workerIsRegistered(pid: worker.pid) else { return false }
                return try await pool.listenerCount() > 0
            }
        } catch {
            worker.stopNow()
            throw error
        }
        return worker
    }
}

extension PostgresPool {
    /// Whether a worker with this process id has registered.
    public func workerIsRegistered(pid: Int32) async throws -> Bool {
        try await query("SELECT count(*) AS n FROM workers WHERE pid = \(Int(pid))").first!.decode("n", as: Int.self) > 0
    }

    /// How many worker LISTEN connections this database has.
    public func listenerCount() async throws -> Int {
        try await query("""
            SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'context0-listener'
            """).first!.decode("n", as: Int.self)
    }
}
