/// How an attempt ended, as reported by the worker that owns it.
public enum JobOutcome: Sendable, Equatable {
    /// Done; the job is completed.
    case completed
    /// The attempt failed; retried with backoff unless it was the last attempt or
    /// `retryable` is false, in which case the job fails for good.
    case failed(error: String, retryable: Bool)
    /// Not now: run again after `delay` without using up an attempt.
    case snoozed(delay: Duration)
    /// The job gave up on purpose (or was asked to); it is cancelled, not retried.
    case cancelled(reason: String)
    /// The worker is shutting down before the attempt finished: give it back, unharmed.
    case released
}

/// A finished attempt waiting to be written: the lease `(id, attempt)` and its outcome.
public struct JobResult: Sendable, Equatable {
    public var id: Int
    public var attempt: Int
    public var maxAttempts: Int
    public var outcome: JobOutcome

    public init(id: Int, attempt: Int, maxAttempts: Int, outcome: JobOutcome) {
        self.id = id
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.outcome = outcome
    }

    public init(job: ClaimedJob, outcome: JobOutcome) {
        self.init(id: job.id, attempt: job.attempt, maxAttempts: job.maxAttempts, outcome: outcome)
    }
}

/// Errors a job handler can throw to say more than "this attempt failed".
public enum JobError: Error, Sendable {
    /// Retrying cannot help (e.g. arguments that never decode); fail the job now.
    case permanent(String)
}
