import Logging
import Postgres
import Synchronization

/// Writes finished attempts in batches: results that arrive while one batch is being
/// written go together in the next, so a busy worker pays one statement for many jobs.
///
/// A result not yet written when the process dies is lost, and the job runs again after
/// it is rescued: delivery is at least once, as with every queue of this kind.
final class JobCompleter: Sendable {
    private let queue: JobQueue
    private let pool: PostgresPool
    private let logger: Logger
    private let pending = Mutex<[JobResult]>([])
    private let wake = WakeSignal()
    private let stopping = Atomic<Bool>(false)
    /// Wakes the claim loops after a write (a write may have made a queue's jobs due).
    private let onWritten: @Sendable () -> Void

    init(queue: JobQueue, pool: PostgresPool, logger: Logger, onWritten: @escaping @Sendable () -> Void) {
        self.queue = queue
        self.pool = pool
        self.logger = logger
        self.onWritten = onWritten
    }

    func add(_ result: JobResult) {
        pending.withLock { $0.append(result) }
        wake.signal()
    }

    /// Stops after writing everything handed in so far (gives up on a dead database after
    /// `deadline`).
    func stop() {
        stopping.store(true, ordering: .relaxed)
        wake.signal()
    }

    func run(deadline: Duration) async {
        var failures = 0
        var stopDeadline: ContinuousClock.Instant?
        while true {
            let batch = pending.withLock { batch in defer { batch = [] }; return batch }
            if batch.isEmpty {
                if stopping.load(ordering: .relaxed) { return }
                await wake.wait(timeout: .seconds(1))
                continue
            }
            do {
                try await queue.finish(batch, pool: pool)
                failures = 0
                onWritten()
            } catch {
                pending.withLock { $0.insert(contentsOf: batch, at: 0) }
                failures += 1
                logger.warning("writing job results failed; will retry", metadata: ["error": "\(error)", "results": "\(batch.count)"])
                if stopping.load(ordering: .relaxed) {
                    stopDeadline = stopDeadline ?? .now + deadline
                    if ContinuousClock.now >= stopDeadline! { return }
                }
                try? await Task.sleep(for: .milliseconds(min(50 << min(failures, 5), 2000)))
            }
        }
    }
}
