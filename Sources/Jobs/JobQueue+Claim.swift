import Foundation
import Postgres

extension JobQueue {
    /// Claims up to `limit` due jobs of `queue` for `workerID`, best priority first, oldest
    /// first within a priority. Concurrent claimers never receive the same job (rows are
    /// locked with SKIP LOCKED); a paused queue hands out nothing.
    public func claim(queue: String, limit: Int, workerID: UUID, on connection: PostgresConnection) throws -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        let result = try connection.query("""
            WITH next AS (
                SELECT id FROM jobs
                WHERE state = 'available' AND queue = \(queue) AND run_at <= now()
                  AND NOT EXISTS (SELECT 1 FROM job_queues WHERE name = \(queue) AND paused_at IS NOT NULL)
                ORDER BY priority, run_at, id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs SET state = 'running', attempt = jobs.attempt + 1, worker_id = \(workerID),
                            attempted_at = now(), heartbeat_at = now()
            FROM next WHERE jobs.id = next.id
            RETURNING jobs.id, jobs.kind, jobs.queue, jobs.args, jobs.attempt, jobs.max_attempts, jobs.timeout_seconds,
                      (extract(epoch FROM jobs.created_at) * 1000)::int8 AS created_ms,
                      (extract(epoch FROM jobs.run_at) * 1000)::int8 AS run_ms, jobs.attempted_at
            """)
        let rows = result.rows
        guard let attemptedAt = try rows.first?.decode("attempted_at", as: Date.self) else { return [] }
        return try rows.map { try ClaimedJob(row: $0, attemptedAt: attemptedAt) }
    }

    /// Claims in a transaction of its own.
    public func claim(queue: String, limit: Int, workerID: UUID, pool: PostgresPool) async throws -> [ClaimedJob] {
        try await pool.withConnection { connection in
            try claim(queue: queue, limit: limit, workerID: workerID, on: connection)
        }
    }
}
