import Jobs

/// Does nothing: the queue benchmark's job, and a way to check a deployment end to end.
struct NoOpJob: JobArguments {
    static let kind = "diagnostic.noop"
}

/// Sleeps, and fails on purpose while `attempt <= failAttempts`: exercises retries,
/// timeouts, cancellation, shutdown and rescue against real worker processes.
struct SleepJob: JobArguments {
    static let kind = "diagnostic.sleep"
    var milliseconds: Int
    var failAttempts: Int?
    /// Keep sleeping when cancelled, like a handler that ignores cancellation.
    var ignoreCancellation: Bool?

    func run(context: JobContext) async throws -> JobOutcome? {
        if ignoreCancellation == true {
            let deadline = ContinuousClock.now + .milliseconds(milliseconds)
            while ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
        } else {
            try await Task.sleep(for: .milliseconds(milliseconds))
        }
        if context.job.attempt <= failAttempts ?? 0 {
            throw PlannedFailure(attempt: context.job.attempt)
        }
        return .completed
    }
}

struct PlannedFailure: Error, CustomStringConvertible {
    let attempt: Int
    var description: String { "planned failure on attempt \(attempt)" }
}
