import Foundation
import Postgres

/// Filters for `JobQueue.list`.
public struct JobFilter: Sendable {
    public var states: [JobState]
    public var kind: String?
    public var queue: String?
    public var limit: Int

    public init(states: [JobState] = [], kind: String? = nil, queue: String? = nil, limit: Int = 50) {
        self.states = states
        self.kind = kind
        self.queue = queue
        self.limit = limit
    }
}

/// What a cancel request did.
public enum CancelOutcome: Sendable, Equatable {
    /// The job was waiting and is now cancelled.
    case cancelled
    /// The job is running; its worker was asked to stop it.
    case stopping
    /// The job had already ended in this state; nothing changed.
    case alreadyFinished(JobState)
}

extension JobQueue {
    /// Jobs matching `filter`, newest first.
    public func list(_ filter: JobFilter, on connection: PostgresConnection) throws -> [JobRecord] {
        let states = filter.states.map(\.rawValue)
        return try connection.query("""
            SELECT \(unsafeRaw: JobRecord.columns) FROM jobs
            WHERE (cardinality(\(states)::text[]) = 0 OR state::text = ANY(\(states)::text[]))
              AND (\(filter.kind)::text IS NULL OR kind = \(filter.kind))
              AND (\(filter.queue)::text IS NULL OR queue = \(filter.queue))
            ORDER BY id DESC
            LIMIT \(max(0, filter.limit))
            """).rows.map(JobRecord.init(row:))
    }

    /// One job with every attempt's error, or nil.
    public func find(id: Int, on connection: PostgresConnection) throws -> JobRecord? {
        try connection.query("SELECT \(unsafeRaw: JobRecord.columns) FROM jobs WHERE id = \(id)")
            .first.map(JobRecord.init(row:))
    }

    /// Cancels a job: an available one at once, a running one by asking its worker (it ends
    /// cancelled when the worker stops it, or when it is rescued). Nil if there is no such job.
    ///
    /// A job in a worker's open claim lease looks available but is running: the request
    /// reaches its worker at once (the NOTIFY goes first, on its own), and the row is written
    /// when the lease closes, at most a lease window later.
    public func cancel(id: Int, on connection: PostgresConnection) throws -> CancelOutcome? {
        let leased = try connection.transaction { connection in
            guard try connection.query("SELECT 1 FROM jobs WHERE id = \(id) FOR UPDATE SKIP LOCKED").isEmpty,
                  try !connection.query("SELECT 1 FROM jobs WHERE id = \(id) AND state = 'available'").isEmpty
            else { return false }
            try connection.query("SELECT pg_notify(\(Self.controlChannel), \("cancel:\(id)"))")
            return true
        }
        let outcome = try connection.transaction { connection in try requestCancel(id: id, on: connection) }
        // Its worker stopped it before the lease wrote the row: this request did it.
        if leased, case .alreadyFinished(.cancelled) = outcome { return .stopping }
        return outcome
    }

    private func requestCancel(id: Int, on connection: PostgresConnection) throws -> CancelOutcome? {
        let result = try connection.query("""
            UPDATE jobs SET
                state = CASE WHEN state = 'available' THEN 'cancelled'::job_state ELSE state END,
                finished_at = CASE WHEN state = 'available' THEN now() ELSE finished_at END,
                cancel_requested_at = coalesce(cancel_requested_at, now())
            WHERE id = \(id) AND state IN ('available', 'running')
            RETURNING state
            """)
        if let row = result.first {
            guard try row.decode("state", as: JobState.self) == .running else { return .cancelled }
            try connection.query("SELECT pg_notify(\(Self.controlChannel), \("cancel:\(id)"))")
            return .stopping
        }
        return try find(id: id, on: connection).map { .alreadyFinished($0.state) }
    }

    /// Makes failed or cancelled jobs available again now, with one more attempt allowed:
    /// one job by id, or every failed job of a kind. Returns the ids retried.
    @discardableResult
    public func retry(id: Int? = nil, failedOfKind kind: String? = nil, on connection: PostgresConnection) throws -> [Int] {
        guard id != nil || kind != nil else { return [] }
        let result = try connection.query("""
            UPDATE jobs SET state = 'available', run_at = now(), finished_at = NULL,
                            cancel_requested_at = NULL, max_attempts = greatest(max_attempts, attempt + 1)
            WHERE (\(id)::bigint IS NOT NULL AND id = \(id) AND state IN ('failed', 'cancelled'))
               OR (\(kind)::text IS NOT NULL AND kind = \(kind) AND state = 'failed')
            RETURNING id, queue
            """)
        for queue in Set(try result.rows.map { try $0.decode("queue", as: String.self) }).sorted() {
            try connection.query("SELECT pg_notify(\(Self.wakeupChannel), \(queue))")
        }
        return try result.rows.map { try $0.decode("id") }
    }

    /// Deletes finished jobs (of `states`) that finished more than `olderThan` ago, in
    /// batches so no single statement holds locks for long or bloats the table at once.
    /// Returns how many were deleted.
    @discardableResult
    public func prune(
        olderThan: Duration, states: [JobState] = [.completed, .failed, .cancelled],
        batchSize: Int = 5000, on connection: PostgresConnection
    ) throws -> Int {
        let names = states.filter(\.isFinal).map(\.rawValue)
        var total = 0
        while true {
            let deleted = try connection.query("""
                DELETE FROM jobs WHERE id IN (
                    SELECT id FROM jobs
                    WHERE state::text = ANY(\(names)::text[]) AND state IN ('completed', 'failed', 'cancelled')
                      AND finished_at < now() - \(olderThan.seconds) * interval '1 second'
                    ORDER BY finished_at LIMIT \(batchSize))
                """).affectedRows
            total += deleted
            if deleted < batchSize { return total }
        }
    }
}

extension JobQueue {
    /// Cancels the jobs of `kinds` that have not started yet and whose argument `key`
    /// equals one of `values` — e.g. the ingest jobs of deleted documents. Returns how many.
    @discardableResult
    public func cancelPending(kinds: [String], argument key: String, in values: [String], on connection: PostgresConnection) throws -> Int {
        guard !values.isEmpty else { return 0 }
        // Rows locked by a worker's claim lease have started: they are skipped, not waited for.
        return try connection.query("""
            UPDATE jobs SET state = 'cancelled', finished_at = now(), cancel_requested_at = now()
            WHERE id IN (SELECT id FROM jobs WHERE state = 'available' AND kind = ANY(\(kinds)) AND args->>\(key) = ANY(\(values))
                         FOR UPDATE SKIP LOCKED)
            """).affectedRows
    }
}
