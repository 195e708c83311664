import Foundation
import Postgres

/// Whether a worker still owns a job it runs.
public enum JobOwnership: Sendable, Equatable {
    case owned
    case cancelRequested
    case lost
}

/// What a worker learns from its heartbeat.
public struct HeartbeatReply: Sendable, Equatable {
    /// False when the worker's registration was gone (it was presumed dead); the heartbeat
    /// registered it again.
    public var wasRegistered: Bool
    /// Jobs of this worker whose cancellation was requested.
    public var cancelRequested: [Int]
    /// Jobs the worker said it runs that are no longer its own (rescued, finished).
    public var lost: [Int]
}

extension JobQueue {
    /// Registers a worker process; its heartbeat must then keep it alive.
    public func registerWorker(id: UUID, queues: [String: Int], on connection: PostgresConnection) throws {
        let hostname = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        try connection.query("""
            INSERT INTO workers (id, hostname, pid, queues) VALUES (\(id), \(hostname), \(pid), \(try PostgresJSON(encoding: queues)))
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
            """)
    }

    /// Marks the worker and the jobs it still runs as alive, in one round trip, and reports
    /// which of them were asked to cancel. Fenced on the worker: jobs that were rescued from
    /// it are not touched.
    public func heartbeat(
        workerID: UUID, queues: [String: Int], runningJobs: [Int], on connection: PostgresConnection
    ) throws -> HeartbeatReply {
        let results = try connection.pipeline([
            "UPDATE workers SET heartbeat_at = now() WHERE id = \(workerID)",
            """
            UPDATE jobs SET heartbeat_at = now()
            WHERE id = ANY(\(runningJobs)) AND worker_id = \(workerID) AND state = 'running'
            RETURNING id, cancel_requested_at IS NOT NULL AS cancel
            """,
        ])
        let wasRegistered = results[0].affectedRows == 1
        if !wasRegistered {
            try registerWorker(id: workerID, queues: queues, on: connection)
        }
        let rows = results[1].rows
        let cancel = try rows.filter { try $0.decode("cancel", as: Bool.self) }.map { try $0.decode("id", as: Int.self) }
        let owned = Set(try rows.map { try $0.decode("id", as: Int.self) })
        return HeartbeatReply(wasRegistered: wasRegistered, cancelRequested: cancel, lost: runningJobs.filter { !owned.contains($0) })
    }

    /// Removes a worker that is shutting down (its jobs were finished or released).
    public func deregisterWorker(id: UUID, on connection: PostgresConnection) throws {
        try connection.query("DELETE FROM workers WHERE id = \(id)")
    }

    /// Counts the attempts dead workers' leases left unwritten (`rescueDeadLeases`), and
    /// rescues the running jobs of dead workers (no heartbeat for `deadAfter`) and jobs whose
    /// own heartbeat stopped: they become available again at once, the attempt recorded as
    /// an error, or fail if it was their last attempt (or end cancelled if that was asked).
    /// Then forgets long-dead workers. Returns the rescued job ids.
    @discardableResult
    public func rescueStuckJobs(deadAfter: Duration, on connection: PostgresConnection) throws -> [Int] {
        let seconds = deadAfter.seconds
        // Rows a live lease holds are freed within its window; wait about that long at most.
        let leased = try rescueDeadLeases(deadAfter: deadAfter, lockTimeout: .seconds(5), on: connection)
        let rescued = try connection.query("""
            WITH stuck AS (
                SELECT jobs.id FROM jobs
                WHERE jobs.state = 'running'
                  AND (jobs.heartbeat_at < now() - \(seconds) * interval '1 second'
                       OR NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = jobs.worker_id
                                      AND w.heartbeat_at >= now() - \(seconds) * interval '1 second'))
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs SET
                state = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'::job_state
                             WHEN attempt >= max_attempts THEN 'failed'::job_state
                             ELSE 'available'::job_state END,
                run_at = now(),
                finished_at = CASE WHEN cancel_requested_at IS NOT NULL OR attempt >= max_attempts THEN now() END,
                errors = errors || jsonb_build_array(jsonb_build_object(
                    'attempt', attempt, 'at', now(), 'worker', worker_id,
                    'error', 'rescued: worker ' || worker_id || ' stopped heartbeating while running this job'))
            FROM stuck WHERE jobs.id = stuck.id
            RETURNING jobs.id, jobs.queue
            """)
        let queues = try rescued.rows.map { try $0.decode("queue", as: String.self) } + leased.map(\.queue)
        for queue in Set(queues).sorted() {
            try connection.query("SELECT pg_notify(\(Self.wakeupChannel), \(queue))")
        }
        try connection.query("""
            DELETE FROM workers WHERE heartbeat_at < now() - \(seconds) * interval '1 second'
              AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.worker_id = workers.id AND jobs.state = 'running')
            """)
        return try rescued.rows.map { try $0.decode("id") } + leased.map(\.id)
    }

    /// Records that the owner of a running job still has it, and tells it whether it should
    /// go on, stop because cancellation was requested, or stop because it lost the job
    /// (rescued and claimed again, or finished elsewhere).
    public func heartbeat(job: ClaimedJob, on connection: PostgresConnection) throws -> JobOwnership {
        let row = try connection.query("""
            UPDATE jobs SET heartbeat_at = now()
            WHERE id = \(job.id) AND attempt = \(job.attempt) AND state = 'running'
            RETURNING cancel_requested_at IS NOT NULL AS cancel
            """).first
        guard let row else { return .lost }
        return try row.decode("cancel", as: Bool.self) ? .cancelRequested : .owned
    }
}
