import Foundation
import Postgres

extension JobQueue {
    /// Writes finished attempts, all in one statement. Fenced: a result only applies while
    /// its job is still running under the same attempt, so an owner that lost its job (it was
    /// rescued and claimed again) changes nothing. Returns the ids that were applied.
    ///
    /// A job whose cancellation was requested ends cancelled unless it completed.
    @discardableResult
    public func finish(_ results: [JobResult], on connection: PostgresConnection) throws -> [Int] {
        guard !results.isEmpty else { return [] }
        let rows = FinishColumns(results: results, retryPolicy: configuration.retryPolicy)
        let cancelled = "(jobs.cancel_requested_at IS NOT NULL AND r.target <> 'completed')"
        let final = "(CASE WHEN \(cancelled) THEN 'cancelled'::job_state ELSE r.target END)"
        let applied = try connection.query("""
            UPDATE jobs SET
                state = \(unsafeRaw: final),
                run_at = CASE WHEN \(unsafeRaw: final) = 'available'
                              THEN now() + r.delay * interval '1 second' ELSE jobs.run_at END,
                finished_at = CASE WHEN \(unsafeRaw: final) = 'available' THEN NULL ELSE now() END,
                max_attempts = jobs.max_attempts + r.refund,
                errors = CASE WHEN r.error IS NULL THEN jobs.errors
                              ELSE jobs.errors || jsonb_build_array(jsonb_build_object(
                                  'attempt', jobs.attempt, 'at', now(), 'error', r.error, 'worker', jobs.worker_id))
                         END
            FROM unnest(\(rows.ids)::bigint[], \(rows.attempts)::integer[], \(rows.targets)::job_state[],
                        \(rows.delays)::float8[], \(rows.errors)::text[], \(rows.refunds)::integer[])
                AS r (id, attempt, target, delay, error, refund)
            WHERE jobs.id = r.id AND jobs.attempt = r.attempt AND jobs.state = 'running'
            RETURNING jobs.id, jobs.queue, jobs.state = 'available' AND jobs.run_at <= now() AS due
            """)
        let due = Set(try applied.rows.filter { try $0.decode("due", as: Bool.self) }.map { try $0.decode("queue", as: String.self) })
        for queue in due.sorted() {
            try connection.query("SELECT pg_notify(\(Self.wakeupChannel), \(queue))")
        }
        return try applied.rows.map { try $0.decode("id") }
    }

    /// Writes finished attempts in a transaction of their own.
    @discardableResult
    public func finish(_ results: [JobResult], pool: PostgresPool) async throws -> [Int] {
        try await pool.withConnection { connection in try finish(results, on: connection) }
    }
}

/// Per-result arrays for `finish`.
private struct FinishColumns {
    var ids: [Int] = []
    var attempts: [Int] = []
    var targets: [String] = []
    var delays: [Double] = []
    var errors = PostgresNullableArray<String>()
    var refunds: [Int] = []

    init(results: [JobResult], retryPolicy: RetryPolicy) {
        for result in results {
            let (target, delay, error, refund) = Self.row(for: result, retryPolicy: retryPolicy)
            ids.append(result.id)
            attempts.append(result.attempt)
            targets.append(target.rawValue)
            delays.append(delay)
            errors.values.append(error.map { String($0.prefix(JobQueue.maxErrorLength)) })
            refunds.append(refund)
        }
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
