import Foundation
import Jobs
import Postgres
import TestSupport

/// Heartbeats, rescue and polling in fractions of a second, so tests about them finish
/// quickly. Tests override single entries.
let integrationWorkerSettings = ChildProcess.fastWorkerSettings(queues: "default=4", deadAfterMilliseconds: 1500, maintenanceMilliseconds: 200)

extension ChildProcess {
    /// Starts `context0-worker` on `database` with the fast settings (`settings` win) and
    /// waits until it has registered and listens.
    static func worker(_ database: TestDatabase, pool: PostgresPool, _ settings: [String: String] = [:]) async throws -> ChildProcess {
        try await worker(environment: integrationWorkerSettings.merging(settings) { $1 }.merging(["DATABASE_URL": database.url]) { $1 }, pool: pool)
    }

    /// Runs `context0-admin` against `database` to completion.
    static func admin(_ database: TestDatabase, _ arguments: String...) async throws -> (status: Int32, output: String, error: String) {
        try await run("context0-admin", arguments + ["--database-url", database.url])
    }
}

extension PostgresPool {
    /// Enqueues one job through the queue's own API and returns its id.
    func enqueue(_ kind: String, args: String = "{}", options: JobOptions = JobOptions()) async throws -> Int {
        try await JobQueue().enqueue(NewJob(kind: kind, args: args, options: options), pool: self).id
    }

    /// The job as stored now.
    func job(_ id: Int) async throws -> JobRecord {
        try await withConnection { connection in
            guard let job = try JobQueue().find(id: id, on: connection) else {
                throw PostgresError(kind: .decoding, message: "no job \(id)")
            }
            return job
        }
    }

    /// Waits until job `id` satisfies `condition` and returns it as it was then.
    @discardableResult
    func waitForJob(
        _ id: Int, _ what: String, timeout: Duration = .seconds(120), until condition: (JobRecord) -> Bool
    ) async throws -> JobRecord {
        var latest: JobRecord?
        do {
            try await eventually("job \(id) \(what)", timeout: timeout) {
                latest = try await job(id)
                return condition(latest!)
            }
        } catch let error as TimedOut {
            throw TimedOut(description: "\(error.description); last seen: \(latest.map { "\($0.state), attempt \($0.attempt), errors \($0.errors.map(\.error))" } ?? "never")")
        }
        return latest!
    }

    /// Waits until a worker has started job `id`: it is in an open claim lease (the row
    /// still shows it available) or marked running.
    func waitUntilStarted(_ id: Int, timeout: Duration = .seconds(120)) async throws {
        try await eventually("job \(id) to start", timeout: timeout) {
            try await query("""
                SELECT EXISTS (SELECT 1 FROM job_leases WHERE \(id) = ANY(job_ids))
                    OR EXISTS (SELECT 1 FROM jobs WHERE id = \(id) AND state = 'running') AS started
                """).first!.decode("started", as: Bool.self)
        }
    }

    /// Makes a job that waits for its retry backoff due now and wakes its queue's workers.
    func makeDueNow(_ id: Int) async throws {
        _ = try await withConnection { connection in
            let moved = try connection.query("""
                UPDATE jobs SET run_at = now() WHERE id = \(id) AND state = 'available' AND run_at > now() RETURNING queue
                """)
            if let queue = try moved.first?.decode("queue", as: String.self) {
                try connection.query("SELECT pg_notify(\(JobQueue.wakeupChannel), \(queue))")
            }
        }
    }

    /// The pid a worker registered with, nil if it has no row (any more).
    func workerPID(id: UUID) async throws -> Int? {
        try await query("SELECT pid FROM workers WHERE id = \(id)").first?.decode("pid", as: Int.self)
    }
}

/// Runs `body` with an empty database (no migrations) and drops it afterwards.
func withEmptyDatabase(_ body: (TestDatabase) async throws -> Void) async throws {
    let database = try await TestDatabase.createEmpty()
    do {
        try await body(database)
        try await database.drop()
    } catch {
        try? await database.drop()
        throw error
    }
}

/// The migration files of the checkout, by name, in order.
func migrationNames() throws -> [String] {
    try Migrator(directory: ProjectPaths.root.appendingPathComponent("sql")).migrations.map(\.name)
}

/// Parses a CLI's JSON output.
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
}
