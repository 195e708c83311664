import Foundation

/// The typed arguments of one job kind, stored as the job's JSON `args`.
///
/// The kind's name and its defaults live here, beside the arguments, so the API (which
/// enqueues) and the workers (which run) agree on them through one type.
public protocol JobArguments: Codable, Sendable {
    /// The kind's stable name, e.g. `"document.ingest"`.
    static var kind: String { get }
    /// Defaults for jobs of this kind; `JobOptions` given at enqueue override them.
    static var defaults: JobOptions { get }
}

extension JobArguments {
    public static var defaults: JobOptions { JobOptions() }
}

/// How a job is queued and retried.
public struct JobOptions: Sendable, Equatable {
    public var queue: String?
    /// Lower runs first.
    public var priority: Int16?
    /// Not before this time; nil means now.
    public var runAt: Date?
    public var maxAttempts: Int?
    /// How long one attempt may run before it is cancelled and failed.
    public var timeout: Duration?
    /// At most one available or running job per key; enqueueing another returns the live one.
    public var uniqueKey: String?
    /// At most one job per key that has not started yet; one that runs does not count, so
    /// work arriving meanwhile gets its own job. For idempotent jobs that read their input
    /// when they start (indexing, extraction).
    public var waitingKey: String?
    /// The user the job works for: they may see it through the API.
    public var ownerUserID: String?

    public init(
        queue: String? = nil, priority: Int16? = nil, runAt: Date? = nil,
        maxAttempts: Int? = nil, timeout: Duration? = nil, uniqueKey: String? = nil, waitingKey: String? = nil,
        ownerUserID: String? = nil
    ) {
        self.queue = queue
        self.priority = priority
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.timeout = timeout
        self.uniqueKey = uniqueKey
        self.waitingKey = waitingKey
        self.ownerUserID = ownerUserID
    }

    /// These options with `other`'s set values taking precedence.
    public func merged(with other: JobOptions) -> JobOptions {
        JobOptions(
            queue: other.queue ?? queue, priority: other.priority ?? priority,
            runAt: other.runAt ?? runAt, maxAttempts: other.maxAttempts ?? maxAttempts,
            timeout: other.timeout ?? timeout, uniqueKey: other.uniqueKey ?? uniqueKey,
            waitingKey: other.waitingKey ?? waitingKey, ownerUserID: other.ownerUserID ?? ownerUserID)
    }
}
