import Foundation
import Postgres

/// What `context0-admin jobs stats` reports.
public struct JobStats: Sendable, Codable, Equatable {
    /// How many jobs of one kind are in one state on one queue.
    public struct Count: Sendable, Codable, Equatable {
        public var queue: String
        public var kind: String
        public var state: JobState
        public var count: Int
    }

    /// A queue that has due, unclaimed jobs; queues with none are not listed.
    public struct QueueHealth: Sendable, Codable, Equatable {
        public var queue: String
        /// Seconds the oldest due, unclaimed job has waited.
        public var oldestWaitingSeconds: Double
    }

    public var counts: [Count]
    public var oldestWaiting: [QueueHealth]
    /// The window the figures below cover.
    public var windowSeconds: Double
    public var completedInWindow: Int
    public var failedInWindow: Int
    public var completedPerSecond: Double
    /// From due (`run_at`) to claimed, for jobs finished in the window.
    public var pickupLatencyP50Milliseconds: Double?
    public var pickupLatencyP99Milliseconds: Double?
    /// From claimed to finished.
    public var runTimeP50Milliseconds: Double?
}

/// A worker as `context0-admin workers` shows it.
public struct WorkerInfo: Sendable, Codable, Equatable {
    public var id: UUID
    public var hostname: String
    public var pid: Int
    public var queues: String
    public var startedAt: Date
    public var heartbeatAt: Date
    public var alive: Bool
    public var runningJobs: Int
}

extension JobQueue {
    /// Counts by queue, kind and state; the oldest waiting job per queue; throughput and
    /// latencies over the last `window`.
    public func stats(window: Duration = .seconds(300), on connection: PostgresConnection) throws -> JobStats {
        let seconds = window.seconds
        let results = try connection.pipeline([
            "SELECT queue, kind, state::text AS state, count(*) AS count FROM jobs GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            """
            SELECT queue, extract(epoch FROM now() - min(run_at))::float8 AS waited FROM jobs
            WHERE state = 'available' AND run_at <= now() GROUP BY queue ORDER BY queue
            """,
            """
            SELECT count(*) FILTER (WHERE state = 'completed') AS completed,
                   count(*) FILTER (WHERE state = 'failed') AS failed,
                   (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - run_at)) * 1000)::float8 AS pickup_p50,
                   (percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - run_at)) * 1000)::float8 AS pickup_p99,
                   (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - attempted_at)) * 1000)::float8 AS run_p50
            FROM jobs
            WHERE state IN ('completed', 'failed') AND finished_at >= now() - \(seconds) * interval '1 second'
            """,
        ])
        let window = results[2].rows[0]
        let completed: Int = try window.decode("completed")
        return JobStats(
            counts: try results[0].rows.map {
                JobStats.Count(queue: try $0.decode("queue"), kind: try $0.decode("kind"), state: try $0.decode("state"), count: try $0.decode("count"))
            },
            oldestWaiting: try results[1].rows.map {
                JobStats.QueueHealth(queue: try $0.decode("queue"), oldestWaitingSeconds: try $0.decode("waited"))
            },
            windowSeconds: seconds,
            completedInWindow: completed,
            failedInWindow: try window.decode("failed"),
            completedPerSecond: Double(completed) / seconds,
            pickupLatencyP50Milliseconds: try window.decode("pickup_p50", as: Double?.self),
            pickupLatencyP99Milliseconds: try window.decode("pickup_p99", as: Double?.self),
            runTimeP50Milliseconds: try window.decode("run_p50", as: Double?.self))
    }

    /// Registered workers, alive meaning a heartbeat within `deadAfter`.
    public func workers(deadAfter: Duration, on connection: PostgresConnection) throws -> [WorkerInfo] {
        try connection.query("""
            SELECT w.id, w.hostname, w.pid, w.queues::text AS queues, w.started_at, w.heartbeat_at,
                   w.heartbeat_at >= now() - \(deadAfter.seconds) * interval '1 second' AS alive,
                   (SELECT count(*) FROM jobs j WHERE j.worker_id = w.id AND j.state = 'running') AS running
            FROM workers w ORDER BY w.started_at
            """).rows.map { row in
            WorkerInfo(
                id: try row.decode("id"), hostname: try row.decode("hostname"), pid: try row.decode("pid"),
                queues: try row.decode("queues"), startedAt: try row.decode("started_at"),
                heartbeatAt: try row.decode("heartbeat_at"), alive: try row.decode("alive"),
                runningJobs: try row.decode("running"))
        }
    }
}
