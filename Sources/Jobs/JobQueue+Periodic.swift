import Foundation
import Postgres

/// A job enqueued once per `interval`, on ticks aligned to the epoch, however many
/// workers run.
public struct PeriodicJob: Sendable {
    public var name: String
    public var interval: Duration
    public var job: NewJob

    public init(name: String, interval: Duration, job: NewJob) {
        self.name = name
        self.interval = interval
        self.job = job
    }
}

extension JobQueue {
    /// Enqueues the periodic jobs whose tick has come. Exactly once per tick: each job's
    /// row is moved to its next tick with a compare-and-set, and only the process whose
    /// update won enqueues, in the same transaction. Returns the names enqueued.
    ///
    /// A shortened interval takes effect after the tick already scheduled.
    @discardableResult
    public func enqueueDuePeriodicJobs(_ periodic: [PeriodicJob], on connection: PostgresConnection) throws -> [String] {
        var enqueued = [String]()
        for entry in periodic {
            let seconds = max(entry.interval.seconds, 0.001)
            try connection.query("""
                INSERT INTO periodic_jobs (name, next_run_at) VALUES (\(entry.name), now()) ON CONFLICT (name) DO NOTHING
                """)
            let won = try connection.query("""
                UPDATE periodic_jobs
                SET next_run_at = to_timestamp((floor(extract(epoch FROM statement_timestamp()) / \(seconds)) + 1) * \(seconds)),
                    last_enqueued_at = now()
                WHERE name = \(entry.name)
                  AND next_run_at <= statement_timestamp()
                RETURNING (floor(extract(epoch FROM statement_timestamp()) / \(seconds)) * \(seconds))::float8 AS tick
                """)
            guard let tick = try won.first?.decode("tick", as: Double.self) else { continue }
            var job = entry.job
            job.options.uniqueKey = job.options.uniqueKey ?? "periodic:\(entry.name):\(Int64(tick * 1000))"
            let result = try enqueue(job, on: connection)
            try connection.query("UPDATE periodic_jobs SET last_job_id = \(result.id) WHERE name = \(entry.name)")
            enqueued.append(entry.name)
        }
        return enqueued
    }

    /// Runs `body` in a transaction only if no other process holds the transaction-level
    /// advisory lock `key` right now; returns nil when it was busy.
    public static func withExclusiveTurn<T>(
        _ key: Int, on connection: PostgresConnection, _ body: (PostgresConnection) throws -> T
    ) throws -> T? {
        try connection.transaction { connection in
            guard try connection.query("SELECT pg_try_advisory_xact_lock(\(key)) AS locked").first?.decode("locked", as: Bool.self) == true
            else { return nil }
            return try body(connection)
        }
    }
}
