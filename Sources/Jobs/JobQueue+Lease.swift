import Foundation
import Postgres

/// Claim leases (sql/0015): a batch claimed by locking its rows in a transaction that stays
/// open while the jobs run, so a job that ends within the lease is written once instead of
/// twice. The worker's `JobLease` drives these statements on one session.
extension JobQueue {
    /// A batch locked by `lockDue`.
    public struct LockedBatch: Sendable {
        /// The jobs, each with the attempt it is about to make (the row still has one less).
        public var jobs: [ClaimedJob]
        /// Whether a job has a waiting key: such a job must be marked running before it
        /// starts, or work enqueued under its key meanwhile would be merged into it.
        public var hasWaitingKey: Bool
    }

    /// Begins a lease on the caller's session: opens its transaction and locks up to `limit`
    /// due jobs of `queue` in claim order, skipping rows other leases hold, in one round
    /// trip. Writes nothing: the lock is the claim for as long as the transaction lasts. A
    /// paused queue hands out nothing. The caller ends the transaction (`closeLease`, or
    /// COMMIT when nothing was locked).
    public func beginLease(queue: String, limit: Int, on connection: PostgresConnection) throws -> LockedBatch {
        let results = try connection.pipeline(["BEGIN", """
            SELECT id, kind, queue, args, attempt + 1 AS attempt, max_attempts, timeout_seconds, created_at, run_at,
                   now() AS attempted_at, waiting_key IS NOT NULL AS keyed
            FROM jobs
            WHERE state = 'available' AND queue = \(queue) AND run_at <= now()
              AND NOT EXISTS (SELECT 1 FROM job_queues WHERE name = \(queue) AND paused_at IS NOT NULL)
            ORDER BY priority, run_at, id
            LIMIT \(max(limit, 0))
            FOR UPDATE SKIP LOCKED
            """])
        let rows = results[1].rows
        return LockedBatch(
            jobs: try rows.map(ClaimedJob.init(row:)),
            hasWaitingKey: try rows.contains { try $0.decode("keyed", as: Bool.self) })
    }

    /// Writes the attempts that ended during the lease, marks `stillRunning` as running under
    /// `workerID` (claimed for good from now on), and commits the lease transaction, in one
    /// round trip. Returns the ids written.
    @discardableResult
    public func closeLease(
        results: [JobResult], stillRunning: [ClaimedJob], workerID: UUID, on connection: PostgresConnection
    ) throws -> [Int] {
        var rows = FinishColumns(results: results, retryPolicy: configuration.retryPolicy)
        stillRunning.forEach { rows.promote($0) }
        let statements = writeStatements(rows, leasedBy: workerID)
        return try connection.pipeline(statements + ["COMMIT"]).dropLast().flatMap(Self.writtenIDs)
    }

    /// Records the lease a worker holds on `queue`, replacing its previous one (closed by
    /// then), in a transaction of its own that does not wait for the disk: a record lost in
    /// a server crash loses nothing else (the lease is gone too). One round trip.
    public func recordLease(workerID: UUID, queue: String, startedAt: Date, jobIDs: [Int], on connection: PostgresConnection) throws {
        _ = try connection.pipeline(["BEGIN", "SET LOCAL synchronous_commit = off", """
            INSERT INTO job_leases (worker_id, queue, started_at, job_ids)
            VALUES (\(workerID), \(queue), \(startedAt), \(jobIDs))
            ON CONFLICT (worker_id, queue) DO UPDATE SET started_at = excluded.started_at, job_ids = excluded.job_ids
            """, "COMMIT"])
    }

    /// Counts the attempts that dead workers' leases left unwritten (the worker exited while
    /// they ran): each such job gets its attempt and an error, and fails if that was its
    /// last. Jobs written since the lease began are left alone. Waits at most
    /// `lockTimeout` for rows that live leases hold. Returns the jobs counted.
    func rescueDeadLeases(deadAfter: Duration, lockTimeout: Duration, on connection: PostgresConnection) throws -> [(id: Int, queue: String)] {
        try connection.query(PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = \(Int(lockTimeout.seconds * 1000))"))
        let counted = try connection.query("""
            WITH dead AS (
                DELETE FROM job_leases l
                WHERE NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = l.worker_id
                                  AND w.heartbeat_at >= now() - \(deadAfter.seconds) * interval '1 second')
                RETURNING l.worker_id, l.started_at, l.job_ids
            ), leased AS (
                SELECT worker_id, started_at, unnest(job_ids) AS id FROM dead
            )
            UPDATE jobs SET
                attempt = jobs.attempt + 1,
                worker_id = leased.worker_id,
                attempted_at = leased.started_at,
                state = CASE WHEN jobs.attempt + 1 >= jobs.max_attempts THEN 'failed'::job_state ELSE 'available'::job_state END,
                finished_at = CASE WHEN jobs.attempt + 1 >= jobs.max_attempts THEN now() END,
                run_at = now(),
                errors = jobs.errors || jsonb_build_array(jsonb_build_object(
                    'attempt', jobs.attempt + 1, 'at', now(), 'worker', leased.worker_id,
                    'error', 'rescued: worker ' || leased.worker_id || ' exited while running this job'))
            FROM leased
            WHERE jobs.id = leased.id AND jobs.state = 'available'
              AND (jobs.attempted_at IS NULL OR jobs.attempted_at < leased.started_at)
            RETURNING jobs.id, jobs.queue
            """)
        return try counted.rows.map { (try $0.decode("id"), try $0.decode("queue")) }
    }
}
