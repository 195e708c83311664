import Foundation
import Postgres

extension JobQueue {
    /// Enqueues one job in the caller's transaction.
    ///
    /// With a unique key that a live (available or running) job already holds, or a waiting
    /// key that a job not yet started holds, nothing is inserted and that job's id comes back
    /// with `inserted == false`.
    @discardableResult
    public func enqueue(_ job: NewJob, on connection: PostgresConnection) throws -> EnqueueResult {
        // The job holding the key may start or finish between the INSERT that met it and the
        // SELECT that looks for it; then the key is free and the INSERT is tried again.
        for _ in 0..<3 {
            if let id = try enqueue([job], on: connection).first {
                return EnqueueResult(id: id, inserted: true)
            }
            let existing = try connection.query("""
                SELECT id FROM jobs
                WHERE (unique_key = \(job.options.uniqueKey) AND state IN ('available', 'running'))
                   OR (waiting_key = \(job.options.waitingKey) AND state = 'available')
                LIMIT 1
                """)
            if let row = existing.first {
                return EnqueueResult(id: try row.decode("id"), inserted: false)
            }
        }
        throw PostgresError(kind: .server, message: "the job holding this job's key kept changing while enqueueing; retry")
    }

    /// Enqueues many jobs with one INSERT in the caller's transaction and wakes idle
    /// workers of their queues once (or, with a `wakeupThrottle`, at most once per window). Returns the ids of the jobs inserted (jobs whose unique
    /// key is taken by a live job are skipped).
    @discardableResult
    public func enqueue(_ jobs: [NewJob], on connection: PostgresConnection) throws -> [Int] {
        guard !jobs.isEmpty else { return [] }
        let columns = EnqueueColumns(jobs: jobs, configuration: configuration)
        let inserted = try connection.query("""
            INSERT INTO jobs (kind, queue, args, priority, run_at, max_attempts, timeout_seconds, unique_key, waiting_key, owner_user_id)
            SELECT kind, queue, args, priority, coalesce(run_at, now()), max_attempts, timeout_seconds, unique_key, waiting_key, owner_user_id
            FROM unnest(\(columns.kinds)::text[], \(columns.queues)::text[], \(columns.args)::jsonb[],
                        \(columns.priorities)::smallint[], \(columns.runAts)::timestamptz[],
                        \(columns.maxAttempts)::integer[], \(columns.timeouts)::integer[], \(columns.uniqueKeys)::text[],
                        \(columns.waitingKeys)::text[], \(columns.owners)::text[])
                AS new (kind, queue, args, priority, run_at, max_attempts, timeout_seconds, unique_key, waiting_key, owner_user_id)
            ON CONFLICT DO NOTHING
            RETURNING id, queue, run_at <= now() AS due
            """)
        let rows = inserted.rows
        let dueQueues = Set(try rows.filter { try $0.decode("due", as: Bool.self) }.map { try $0.decode("queue", as: String.self) })
        for queue in dueQueues.sorted() where wakeupThrottle?.admit(queue) ?? true {
            try connection.query("SELECT pg_notify(\(Self.wakeupChannel), \(queue))")
        }
        return try rows.map { try $0.decode("id") }
    }

    /// Enqueues jobs in a transaction of their own.
    @discardableResult
    public func enqueue(_ jobs: [NewJob], pool: PostgresPool) async throws -> [Int] {
        try await pool.withTransaction { connection in try enqueue(jobs, on: connection) }
    }

    /// Enqueues one job in a transaction of its own.
    @discardableResult
    public func enqueue(_ job: NewJob, pool: PostgresPool) async throws -> EnqueueResult {
        try await pool.withTransaction { connection in try enqueue(job, on: connection) }
    }
}

/// The column arrays of a bulk insert.
private struct EnqueueColumns {
    var kinds: [String] = []
    var queues: [String] = []
    var args: [PostgresJSON] = []
    var priorities = PostgresNullableArray<Int16>()
    var runAts = PostgresNullableArray<Date>()
    var maxAttempts: [Int] = []
    var timeouts = PostgresNullableArray<Int>()
    var uniqueKeys = PostgresNullableArray<String>()
    var waitingKeys = PostgresNullableArray<String>()
    var owners = PostgresNullableArray<String>()

    init(jobs: [NewJob], configuration: JobQueue.Configuration) {
        for job in jobs {
            let options = job.options
            kinds.append(job.kind)
            queues.append(options.queue ?? configuration.defaultQueue)
            args.append(PostgresJSON(text: job.args))
            priorities.values.append(options.priority ?? 0)
            runAts.values.append(options.runAt)
            maxAttempts.append(options.maxAttempts ?? configuration.defaultMaxAttempts)
            timeouts.values.append(options.timeout.map { max(1, Int($0.seconds.rounded(.up))) })
            uniqueKeys.values.append(options.uniqueKey)
            waitingKeys.values.append(options.waitingKey)
            owners.values.append(options.ownerUserID)
        }
    }
}
