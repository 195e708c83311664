import Jobs

// Diagnostic kinds have no feature outside the worker, so their arguments live here too.

/// `diagnostic.noop`: does nothing: the queue benchmark's job, and a way to check a
/// deployment end to end.
struct NoOpArgs: JobArguments {
    static let kind = "diagnostic.noop"
}

struct NoOpHandler: JobHandler {
    func run(_ job: NoOpArgs, context: JobContext) async throws -> JobOutcome { .completed }
}

/// `diagnostic.sleep`: sleeps, and fails on purpose while `attempt <= failAttempts`:
/// exercises retries, timeouts, cancellation, shutdown and rescue against real worker
/// processes.
struct SleepArgs: JobArguments {
    static let kind = "diagnostic.sleep"
    var milliseconds: Int
    var failAttempts: Int?
    /// Keep sleeping when cancelled, like a handler that ignores cancellation.
    var ignoreCancellation: Bool?
}

struct SleepHandler: JobHandler {
    func run(_ job: SleepArgs, context: JobContext) async throws -> JobOutcome {
        if job.ignoreCancellation == true {
            let deadline = ContinuousClock.now + .milliseconds(job.milliseconds)
            while ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
        } else {
            try await Task.sleep(for: .milliseconds(job.milliseconds))
        }
        if context.job.attempt <= job.failAttempts ?? 0 {
            throw PlannedFailure(attempt: context.job.attempt)
        }
        return .completed
    }
}

struct PlannedFailure: Error, CustomStringConvertible {
    let attempt: Int
    var description: String { "planned failure on attempt \(attempt)" }
}
