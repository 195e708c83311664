import Foundation
import Postgres

extension JobQueue {
    /// Writes finished attempts, in one round trip (`writeStatements`). Fenced: a result only applies while
    /// its job is still running under the same attempt, so an owner that lost its job (it was
    /// rescued and claimed again) changes nothing. Returns the ids that were applied.
    ///
    /// A job whose cancellation was requested ends cancelled unless it completed.
    @discardableResult
    public func finish(_ results: [JobResult], on connection: PostgresConnection) throws -> [Int] {
        let statements = writeStatements(FinishColumns(results: results, retryPolicy: configuration.retryPolicy), leasedBy: nil)
        guard !statements.isEmpty else { return [] }
        // One round trip, one (implicit) transaction.
        return try connection.pipeline(statements).flatMap(Self.writtenIDs)
    }

    /// The statements that write a row per result (and per promotion, with target
    /// `running`): completions, the common case, by a lean statement of their own; the rest
    /// by one that also wakes the queues where a retry is due at once. `leasedBy` nil: the
    /// jobs are running, fenced on their attempt. Otherwise the rows are still `available`,
    /// locked by that worker's lease transaction: the write is the attempt's first, so it
    /// also counts the attempt and names the worker.
    func writeStatements(_ rows: FinishColumns, leasedBy worker: UUID?) -> [PostgresQuery] {
        var statements = [PostgresQuery]()
        if !rows.completed.isEmpty {
            statements.append(completionStatement(ids: rows.completed, attempts: rows.completedAttempts, leasedBy: worker))
        }
        if !rows.ids.isEmpty { statements.append(writeStatement(rows, leasedBy: worker)) }
        return statements
    }

    // Times are the clock's, not the transaction's: a lease's transaction began when it
    // claimed, and its jobs end later.
    private func completionStatement(ids: [Int], attempts: [Int], leasedBy worker: UUID?) -> PostgresQuery {
        guard let worker else {
            return """
                UPDATE jobs SET state = 'completed', finished_at = clock_timestamp()
                FROM unnest(\(ids)::bigint[], \(attempts)::integer[]) AS r (id, attempt)
                WHERE jobs.id = r.id AND jobs.attempt = r.attempt AND jobs.state = 'running'
                RETURNING jobs.id
                """
        }
        // The lease's lock keeps its rows as it found them (and `closeLease` runs only in the
        // lease's own transaction): no per-row fence, and one index scan for all the ids.
        return """
            UPDATE jobs SET state = 'completed', attempt = attempt + 1, worker_id = \(worker),
                            attempted_at = now(), finished_at = clock_timestamp()
            WHERE id = ANY(\(ids)::bigint[]) AND state = 'available'
            RETURNING id
            """
    }

    private func writeStatement(_ rows: FinishColumns, leasedBy worker: UUID?) -> PostgresQuery {
        let cancelled = "(jobs.cancel_requested_at IS NOT NULL AND r.target NOT IN ('completed', 'running'))"
        let final = "(CASE WHEN \(cancelled) THEN 'cancelled'::job_state ELSE r.target END)"
        let lease: PostgresQuery = worker.map { """
            attempt = r.attempt, worker_id = \($0), attempted_at = now(),
            heartbeat_at = CASE WHEN r.target = 'running' THEN clock_timestamp() ELSE jobs.heartbeat_at END,
            """ } ?? ""
        let fence = worker == nil
            ? "jobs.attempt = r.attempt AND jobs.state = 'running'"
            : "jobs.attempt = r.attempt - 1 AND jobs.state = 'available'"
        return """
            WITH applied AS (
                UPDATE jobs SET \(lease)
                    state = \(unsafeRaw: final),
                    run_at = CASE WHEN \(unsafeRaw: final) = 'available'
                                  THEN clock_timestamp() + r.delay * interval '1 second' ELSE jobs.run_at END,
                    finished_at = CASE WHEN \(unsafeRaw: final) IN ('available', 'running') THEN NULL ELSE clock_timestamp() END,
                    max_attempts = jobs.max_attempts + r.refund,
                    errors = CASE WHEN r.error IS NULL THEN jobs.errors
                                  ELSE jobs.errors || jsonb_build_array(jsonb_build_object(
                                      'attempt', r.attempt, 'at', clock_timestamp(), 'error', r.error, 'worker', coalesce(\(worker), jobs.worker_id)))
                             END
                FROM unnest(\(rows.ids)::bigint[], \(rows.attempts)::integer[], \(rows.targets)::job_state[],
                            \(rows.delays)::float8[], \(rows.errors)::text[], \(rows.refunds)::integer[])
                    AS r (id, attempt, target, delay, error, refund)
                WHERE jobs.id = r.id AND \(unsafeRaw: fence)
                RETURNING jobs.id, jobs.queue, jobs.state = 'available' AND jobs.run_at <= clock_timestamp() AS due
            ), wakeups AS (
                SELECT pg_notify(\(Self.wakeupChannel), queue) FROM (SELECT DISTINCT queue FROM applied WHERE due) AS due
            )
            SELECT id, (SELECT count(*) FROM wakeups) AS wakeups FROM applied
            """
    }

    static func writtenIDs(_ result: PostgresResult) throws -> [Int] {
        try result.rows.map { try $0.decode("id") }
    }

    /// Writes finished attempts in a transaction of their own.
    @discardableResult
    public func finish(_ results: [JobResult], pool: PostgresPool) async throws -> [Int] {
        try await pool.withConnection { connection in try finish(results, on: connection) }
    }
}

/// Per-result arrays for `finish` and for closing a lease.
struct FinishColumns {
    /// Completed attempts, written by a statement of their own.
    var completed: [Int] = []
    var completedAttempts: [Int] = []
    /// Everything else.
    var ids: [Int] = []
    var attempts: [Int] = []
    var targets: [String] = []
    var delays: [Double] = []
    var errors = PostgresNullableArray<String>()
    var refunds: [Int] = []

    init(results: [JobResult], retryPolicy: RetryPolicy) {
        for result in results {
            if result.outcome == .completed {
                completed.append(result.id)
                completedAttempts.append(result.attempt)
                continue
            }
            let (target, delay, error, refund) = Self.row(for: result, retryPolicy: retryPolicy)
            append(id: result.id, attempt: result.attempt, target: target, delay: delay, error: error, refund: refund)
        }
    }

    /// Marks a leased job as running: it outlived its lease and is claimed for good.
    mutating func promote(_ job: ClaimedJob) {
        append(id: job.id, attempt: job.attempt, target: .running, delay: 0, error: nil, refund: 0)
    }

    private mutating func append(id: Int, attempt: Int, target: JobState, delay: Double, error: String?, refund: Int) {
        ids.append(id)
        attempts.append(attempt)
        targets.append(target.rawValue)
        delays.append(delay)
        errors.values.append(error.map { String($0.prefix(JobQueue.maxErrorLength)) })
        refunds.append(refund)
    }

    static func row(for result: JobResult, retryPolicy: RetryPolicy) -> (JobState, Double, String?, Int) {
        switch result.outcome {
        case .completed:
            return (.completed, 0, nil, 0)
        case .failed(let error, let retryable):
            guard retryable, result.attempt < result.maxAttempts else { return (.failed, 0, error, 0) }
            return (.available, retryPolicy.delay(afterAttempt: result.attempt).seconds, error, 0)
        case .snoozed(let delay):
            return (.available, delay.seconds, nil, 1)
        case .cancelled(let reason):
            return (.cancelled, 0, "cancelled: \(reason)", 0)
        case .released:
            return (.available, 0, nil, 1)
        }
    }
}
