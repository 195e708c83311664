import Foundation
import Postgres

extension JobQueue {
    /// Claims up to `limit` due jobs of `queue` for good, in a transaction of its own: locks
    /// them as `beginLease` does (best priority first, owners in turn, oldest first within an owner;
    /// concurrent claimers never receive the same job; a paused queue hands out nothing) and
    /// marks them running under `workerID` before committing — what a worker does with a
    /// batch that must not stay leased.
    public func claim(queue: String, limit: Int, workerID: UUID, on connection: PostgresConnection) throws -> [ClaimedJob] {
        do {
            let batch = try beginLease(queue: queue, limit: limit, idleTimeout: nil, on: connection)
            try closeLease(nil, results: [], stillRunning: batch.jobs, workerID: workerID, on: connection)
            return batch.jobs
        } catch {
            if connection.isInTransaction { _ = try? connection.query("ROLLBACK") }
            throw error
        }
    }

    /// `claim(queue:limit:workerID:on:)` on a connection of the pool.
    public func claim(queue: String, limit: Int, workerID: UUID, pool: PostgresPool) async throws -> [ClaimedJob] {
        try await pool.withConnection { connection in
            try claim(queue: queue, limit: limit, workerID: workerID, on: connection)
        }
    }
}
