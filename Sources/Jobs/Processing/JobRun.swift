import Synchronization

/// How one attempt ended, as far as the worker is concerned.
enum JobRunEnd: Sendable, Equatable {
    /// Write this outcome.
    case outcome(JobOutcome)
    /// The worker no longer owns the job: write nothing.
    case lost
}

/// One attempt in flight: the handler's task, its deadline, and whoever stops it first
/// (the handler finishing, the timeout, a cancel request, shutdown) decides how it ended.
/// Deadlines are watched for all runs together (`RunningJobs.stopExpired`), not by a timer
/// per job: a timer task per job costs more than a no-op job itself.
///
/// The handler runs in a task of its own, not a child task, on purpose: a handler that
/// ignores cancellation must not keep its worker from moving on or shutting down.
final class JobRun: Sendable {
    let job: ClaimedJob
    /// The claim lease whose lock covers the attempt until it closes; nil when claimed for good.
    let lease: JobLease?
    private let deadline = Mutex<(at: ContinuousClock.Instant, timeout: Duration)?>(nil)
    private let state = Mutex<(end: JobRunEnd?, waiter: CheckedContinuation<JobRunEnd, Never>?)>((nil, nil))
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(job: ClaimedJob, lease: JobLease?) {
        self.job = job
        self.lease = lease
    }

    /// Whether the database shows the attempt as running (its lease, if any, has closed).
    var isDurable: Bool { !(lease?.holds(job.id) ?? false) }

    /// Starts the handler; `end()` then waits for it, or for whatever stops the run first.
    func start(timeout: Duration, handler: @escaping @Sendable () async -> JobOutcome) {
        deadline.withLock { $0 = (ContinuousClock.now + timeout, timeout) }
        let work = Task { self.stop(.outcome(await handler())) }
        tasks.withLock { $0 = [work] }
    }

    /// Fails the run if its deadline has passed.
    func stopIfExpired(now: ContinuousClock.Instant) {
        guard let deadline = deadline.withLock({ $0 }), deadline.at <= now else { return }
        stop(.outcome(.failed(error: "timed out after \(deadline.timeout)", retryable: true)))
    }

    /// Ends the attempt now with `end` unless it already ended; cancels what still runs.
    func stop(_ end: JobRunEnd) {
        let waiter = state.withLock { state -> CheckedContinuation<JobRunEnd, Never>?? in
            guard state.end == nil else { return .none }
            state.end = end
            defer { state.waiter = nil }
            return .some(state.waiter)
        }
        guard let waiter else { return }
        waiter?.resume(returning: end)
        tasks.withLock { $0 }.forEach { $0.cancel() }
    }

    /// Waits for the attempt to end.
    func end() async -> JobRunEnd {
        await withCheckedContinuation { continuation in
            let ended = state.withLock { state -> JobRunEnd? in
                if let end = state.end { return end }
                state.waiter = continuation
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }
}

/// The attempts a worker process has in flight, by job id.
final class RunningJobs: Sendable {
    private let runs = Mutex<[Int: JobRun]>([:])

    func insert(_ run: JobRun) { runs.withLock { $0[run.job.id] = run } }
    func remove(_ id: Int) { runs.withLock { _ = $0.removeValue(forKey: id) } }
    /// The attempts the database shows as running: the ones heartbeats speak for.
    var durableIDs: [Int] { runs.withLock { Array($0.values) }.filter(\.isDurable).map(\.job.id) }
    var isEmpty: Bool { runs.withLock { $0.isEmpty } }

    func stop(id: Int, _ end: JobRunEnd) {
        runs.withLock { $0[id] }?.stop(end)
    }

    func stopExpired(now: ContinuousClock.Instant = .now) {
        runs.withLock { Array($0.values) }.forEach { $0.stopIfExpired(now: now) }
    }

    func stopAll(queue: String, _ end: JobRunEnd) {
        runs.withLock { Array($0.values) }.filter { $0.job.queue == queue }.forEach { $0.stop(end) }
    }
}
