import Foundation
import Postgres

/// A queue as `context0-admin queues` shows it.
public struct QueueInfo: Sendable, Codable, Equatable {
    public var name: String
    public var paused: Bool
    public var available: Int
    public var running: Int
    public var scheduled: Int
}

extension JobQueue {
    /// Pauses or resumes a queue: while paused its jobs stay where they are and no worker
    /// claims them; running jobs finish normally.
    public func setPaused(_ paused: Bool, queue: String, on connection: PostgresConnection) throws {
        try connection.query("""
            INSERT INTO job_queues (name, paused_at) VALUES (\(queue), CASE WHEN \(paused) THEN now() END)
            ON CONFLICT (name) DO UPDATE SET paused_at = CASE WHEN \(paused) THEN coalesce(job_queues.paused_at, now()) END,
                                             updated_at = now()
            """)
        if !paused {
            try connection.query("SELECT pg_notify(\(Self.wakeupChannel), \(queue))")
        }
    }

    /// Every queue that has jobs or a pause setting, with its counts.
    public func queues(on connection: PostgresConnection) throws -> [QueueInfo] {
        try connection.query("""
            WITH names AS (SELECT DISTINCT queue AS name FROM jobs WHERE state IN ('available', 'running')
                           UNION SELECT name FROM job_queues)
            SELECT names.name,
                   coalesce(q.paused_at IS NOT NULL, false) AS paused,
                   (SELECT count(*) FROM jobs j WHERE j.queue = names.name AND j.state = 'available' AND j.run_at <= now()) AS available,
                   (SELECT count(*) FROM jobs j WHERE j.queue = names.name AND j.state = 'running') AS running,
                   (SELECT count(*) FROM jobs j WHERE j.queue = names.name AND j.state = 'available' AND j.run_at > now()) AS scheduled
            FROM names LEFT JOIN job_queues q ON q.name = names.name
            ORDER BY names.name
            """).rows.map { row in
            QueueInfo(
                name: try row.decode("name"), paused: try row.decode("paused"),
                available: try row.decode("available"), running: try row.decode("running"),
                scheduled: try row.decode("scheduled"))
        }
    }
}
