import Synchronization

/// How one attempt ended, as far as the worker is concerned.
enum JobRunEnd: Sendable, Equatable {
    /// Write this outcome.
    case outcome(JobOutcome)
    /// The worker no longer owns the job: write nothing.
    case lost
}

/// One attempt in flight: the handler's task, its deadline, and whoever stops it first
/// (the handler finishing, the timeout, a cancel request, shutdown) decides how it ended,
/// which `onEnd` hears once. Deadlines are watched for all runs together
/// (`RunningJobs.stopExpired`), not by a timer per job: a timer task per job costs more than
/// a no-op job itself.
///
/// The handler runs in a task of its own, and nothing waits for that task: a handler that
/// ignores cancellation must not keep its worker from moving on or shutting down.
final class JobRun: Sendable {
    let job: ClaimedJob
    /// The claim lease whose lock covers the attempt until it closes; nil when claimed for good.
    let lease: JobLease?
    private let onEnd: @Sendable (JobRunEnd) -> Void
    private let deadline = Mutex<(at: ContinuousClock.Instant, timeout: Duration)?>(nil)
    private let state = Mutex<(ended: Bool, task: Task<Void, Never>?)>((false, nil))

    init(job: ClaimedJob, lease: JobLease?, onEnd: @escaping @Sendable (JobRunEnd) -> Void) {
        self.job = job
        self.lease = lease
        self.onEnd = onEnd
    }

    /// Whether the database shows the attempt as running (its lease, if any, has closed).
    var isDurable: Bool { !(lease?.holds(job.id) ?? false) }

    /// Starts the handler (unless the run was stopped already).
    func start(timeout: Duration, handler: @escaping @Sendable () async -> JobOutcome) {
        deadline.withLock { $0 = (ContinuousClock.now + timeout, timeout) }
        guard !state.withLock({ $0.ended }) else { return }
        let work = Task { self.stop(.outcome(await handler())) }
        let ended = state.withLock { state in
            if !state.ended { state.task = work }
            return state.ended
        }
        if ended { work.cancel() }
    }

    /// Fails the run if its deadline has passed.
    func stopIfExpired(now: ContinuousClock.Instant) {
        guard let deadline = deadline.withLock({ $0 }), deadline.at <= now else { return }
        stop(.outcome(.failed(error: "timed out after \(deadline.timeout)", retryable: true)))
    }

    /// Ends the attempt now with `end` unless it already ended; cancels what still runs.
    func stop(_ end: JobRunEnd) {
        let task = state.withLock { state -> Task<Void, Never>?? in
            guard !state.ended else { return .none }
            state.ended = true
            defer { state.task = nil }
            return .some(state.task)
        }
        guard let task else { return }
        task?.cancel()
        onEnd(end)
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
