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
    /// due jobs of `queue` in claim order (best priority, then owners in turn by their fair
    /// tags — sql/0017 — then oldest), skipping rows other leases hold, in one round
    /// trip. Writes nothing: the lock (`FOR NO KEY UPDATE`, the lease never changes a key)
    /// is the claim for as long as the transaction lasts. A paused queue hands out nothing.
    /// The caller ends the transaction (`closeLease`, or
    /// ROLLBACK). The server ends a lease left idle longer than `idleTimeout` (a frozen
    /// worker), which frees its jobs; nil: never.
    public func beginLease(queue: String, limit: Int, idleTimeout: Duration?, on connection: PostgresConnection) throws -> LockedBatch {
        let idleMilliseconds = idleTimeout.map { max(1, Int($0.seconds * 1000)) } ?? 0
        let results = try connection.pipeline([
            "BEGIN",
            PostgresQuery(unsafeSQL: "SET LOCAL idle_in_transaction_session_timeout = \(idleMilliseconds)"),
            "SELECT now() AS attempted_at",
            // Times in whole milliseconds: 13 digits read without an allocation.
            """
            SELECT id, kind, queue, args, attempt + 1 AS attempt, max_attempts, timeout_seconds,
                   (extract(epoch FROM created_at) * 1000)::int8 AS created_ms, (extract(epoch FROM run_at) * 1000)::int8 AS run_ms,
                   waiting_key IS NOT NULL AS keyed
            FROM jobs
            WHERE state = 'available' AND queue = \(queue) AND run_at <= now()
              AND NOT EXISTS (SELECT 1 FROM job_queues WHERE name = \(queue) AND paused_at IS NOT NULL)
            ORDER BY priority, fair_tag, run_at, id
            LIMIT \(max(limit, 0))
            FOR NO KEY UPDATE SKIP LOCKED
            """,
        ])
        let attemptedAt = try results[2].first!.decode("attempted_at", as: Date.self)
        let rows = results[3].rows
        return LockedBatch(
            jobs: try rows.map { try ClaimedJob(row: $0, attemptedAt: attemptedAt) },
            hasWaitingKey: try rows.contains { try $0.decode("keyed", as: Bool.self) })
    }

    /// Writes the attempts that ended during the lease, marks `stillRunning` as running under
    /// `workerID` (claimed for good from now on), deletes the lease's record (`leaseID`, if
    /// it was recorded) and commits, in one round trip. Refuses to run outside the lease's
    /// transaction: had the session lost it, the rows would no longer be its to write.
    /// Returns the ids written.
    @discardableResult
    public func closeLease(
        _ leaseID: UUID?, results: [JobResult], stillRunning: [ClaimedJob], workerID: UUID, on connection: PostgresConnection
    ) throws -> [Int] {
        guard connection.isInTransaction else {
            throw PostgresError(kind: .connection, message: "the lease's transaction is gone")
        }
        var rows = FinishColumns(results: results, retryPolicy: configuration.retryPolicy)
        stillRunning.forEach { rows.promote($0) }
        var statements = writeStatements(rows, leasedBy: workerID)
        let written = statements.count
        if let leaseID { statements.append("DELETE FROM job_leases WHERE id = \(leaseID)") }
        return try connection.pipeline(statements + ["COMMIT"]).prefix(written).flatMap(Self.writtenIDs)
    }

    /// Records a lease, committed on its own before its jobs start (run it outside the
    /// lease's transaction). It need not wait for the disk (`synchronous_commit = off` on
    /// the connection is fine): a record lost in a server crash loses nothing else, the
    /// lease is gone too.
    public func recordLease(_ leaseID: UUID, workerID: UUID, queue: String, startedAt: Date, jobIDs: [Int], on connection: PostgresConnection) throws {
        try connection.query("""
            INSERT INTO job_leases (id, worker_id, queue, started_at, job_ids)
            VALUES (\(leaseID), \(workerID), \(queue), \(startedAt), \(jobIDs))
            """)
    }

    /// Forgets a lease that ended without closing (its transaction rolled back): its jobs
    /// were given back unharmed.
    public func forgetLease(_ leaseID: UUID, on connection: PostgresConnection) throws {
        try connection.query("DELETE FROM job_leases WHERE id = \(leaseID)")
    }

    /// Counts the attempts that dead workers' leases left unwritten (the worker exited while
    /// they ran): each such job gets one attempt and one error per lease, and fails once its
    /// attempts are used up. Jobs written since a lease began are not counted for it. Rows
    /// that live leases hold are waited for at most `lockTimeout`; if that runs out, nothing
    /// is counted this time (a savepoint keeps the caller's transaction, if any, usable).
    func rescueDeadLeases(deadAfter: Duration, lockTimeout: Duration, on connection: PostgresConnection) throws -> [(id: Int, queue: String)] {
        // Inside the caller's transaction a savepoint, else a transaction of its own.
        let nested = connection.isInTransaction
        try connection.query(nested ? "SAVEPOINT dead_leases" : "BEGIN")
        do {
            try connection.query(PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = \(Int(lockTimeout.seconds * 1000))"))
            let counted = try connection.query("""
                WITH dead AS (
                    DELETE FROM job_leases l
                    WHERE NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = l.worker_id
                                      AND w.heartbeat_at >= now() - \(deadAfter.seconds) * interval '1 second')
                    RETURNING l.worker_id, l.started_at, l.job_ids
                ), leased AS (
                    SELECT worker_id, started_at, unnest(job_ids) AS id FROM dead
                ), crashes AS (
                    SELECT leased.id, count(*)::integer AS n, max(leased.started_at) AS started_at,
                           (array_agg(leased.worker_id ORDER BY leased.started_at DESC))[1] AS worker_id
                    FROM leased JOIN jobs ON jobs.id = leased.id
                    WHERE jobs.state = 'available' AND (jobs.attempted_at IS NULL OR jobs.attempted_at < leased.started_at)
                    GROUP BY leased.id
                )
                UPDATE jobs SET
                    attempt = jobs.attempt + c.n,
                    worker_id = c.worker_id,
                    attempted_at = c.started_at,
                    state = CASE WHEN jobs.attempt + c.n >= jobs.max_attempts THEN 'failed'::job_state ELSE 'available'::job_state END,
                    finished_at = CASE WHEN jobs.attempt + c.n >= jobs.max_attempts THEN now() END,
                    run_at = now(),
                    errors = jobs.errors || (
                        SELECT jsonb_agg(jsonb_build_object(
                            'attempt', jobs.attempt + k, 'at', now(), 'worker', c.worker_id,
                            'error', 'rescued: worker ' || c.worker_id || ' exited while running this job'))
                        FROM generate_series(1, c.n) AS k)
                FROM crashes c
                WHERE jobs.id = c.id AND jobs.state = 'available'
                RETURNING jobs.id, jobs.queue
                """)
            try connection.query(nested ? "RELEASE SAVEPOINT dead_leases" : "COMMIT")
            return try counted.rows.map { (try $0.decode("id"), try $0.decode("queue")) }
        } catch let error as PostgresError where error.sqlState == "55P03" {
            // A frozen worker's lease still holds rows: try again on the next pass.
            try connection.query(nested ? "ROLLBACK TO SAVEPOINT dead_leases" : "ROLLBACK")
            return []
        } catch {
            if !nested { _ = try? connection.query("ROLLBACK") }
            throw error
        }
    }
}
