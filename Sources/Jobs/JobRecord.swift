import Foundation
import Postgres

/// A job as the queue stores it.
public struct JobRecord: Sendable, Codable, Equatable {
    public var id: Int
    public var kind: String
    public var queue: String
    public var args: String
    public var state: JobState
    public var priority: Int16
    public var runAt: Date
    public var attempt: Int
    public var maxAttempts: Int
    public var timeoutSeconds: Int?
    public var uniqueKey: String?
    public var errors: [AttemptError]
    public var workerID: UUID?
    public var createdAt: Date
    public var attemptedAt: Date?
    public var finishedAt: Date?
    public var cancelRequestedAt: Date?
    public var ownerUserID: String?

    /// One failed attempt, kept for good in the job's `errors`.
    public struct AttemptError: Sendable, Codable, Equatable {
        public var attempt: Int
        public var at: String
        public var error: String
        public var worker: String?
    }

    static let columns = """
        id, kind, queue, args, state, priority, run_at, attempt, max_attempts, timeout_seconds,
        unique_key, errors, worker_id, created_at, attempted_at, finished_at, cancel_requested_at, owner_user_id
        """

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        kind = try row.decode("kind")
        queue = try row.decode("queue")
        args = try row.decode("args", as: PostgresJSON.self).text
        state = try row.decode("state")
        priority = try row.decode("priority")
        runAt = try row.decode("run_at")
        attempt = try row.decode("attempt")
        maxAttempts = try row.decode("max_attempts")
        timeoutSeconds = try row.decode("timeout_seconds", as: Int?.self)
        uniqueKey = try row.decode("unique_key", as: String?.self)
        errors = try row.decode("errors", as: PostgresJSON.self).decode([AttemptError].self)
        workerID = try row.decode("worker_id", as: UUID?.self)
        createdAt = try row.decode("created_at")
        attemptedAt = try row.decode("attempted_at", as: Date?.self)
        finishedAt = try row.decode("finished_at", as: Date?.self)
        cancelRequestedAt = try row.decode("cancel_requested_at", as: Date?.self)
        ownerUserID = try row.decode("owner_user_id", as: String?.self)
    }
}

/// A job handed to a worker by `JobQueue.claim`. `(id, attempt)` is the worker's lease:
/// every later change it makes is fenced on it.
public struct ClaimedJob: Sendable, Equatable {
    public var id: Int
    public var kind: String
    public var queue: String
    public var args: String
    public var attempt: Int
    public var maxAttempts: Int
    public var timeout: Duration?
    public var createdAt: Date
    public var runAt: Date
    public var attemptedAt: Date

    /// From a row with `created_ms` and `run_ms` (milliseconds since 1970: far cheaper to
    /// read than timestamps) and the batch's shared `attemptedAt`.
    init(row: PostgresRow, attemptedAt: Date) throws {
        id = try row.decode("id")
        kind = try row.decode("kind")
        queue = try row.decode("queue")
        args = try row.decode("args", as: PostgresJSON.self).text
        attempt = try row.decode("attempt")
        maxAttempts = try row.decode("max_attempts")
        timeout = try row.decode("timeout_seconds", as: Int?.self).map { .seconds($0) }
        createdAt = Date(timeIntervalSince1970: Double(try row.decode("created_ms", as: Int.self)) / 1000)
        runAt = Date(timeIntervalSince1970: Double(try row.decode("run_ms", as: Int.self)) / 1000)
        self.attemptedAt = attemptedAt
    }
}
