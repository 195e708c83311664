import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// Keeps NOTIFY cheap under heavy enqueue.
///
/// PostgreSQL serialises the commits of transactions that NOTIFY, so a NOTIFY in every
/// enqueueing transaction caps enqueue throughput. With a throttle, a process sends at most
/// one wake-up per queue per `window` inside the enqueueing transaction; a job enqueued
/// while its queue is throttled gets a trailing wake-up, sent by `run()` from outside any
/// transaction one `window` later (by then the enqueueing transaction has committed, or
/// the workers' poll picks the job up). Idle workers so wake within about `window`.
public final class WakeupThrottle: Service, Sendable {
    private struct QueueState {
        var lastSent: ContinuousClock.Instant
        var trailingDue: ContinuousClock.Instant?
    }

    public let window: Duration
    private let pool: PostgresPool
    private let logger: Logger
    private let queues = Mutex<[String: QueueState]>([:])

    public init(window: Duration = .milliseconds(10), pool: PostgresPool, logger: Logger) {
        self.window = window
        self.pool = pool
        self.logger = logger
    }

    /// True when the caller should NOTIFY for `queue` in its transaction now; otherwise a
    /// trailing wake-up is scheduled.
    func admit(_ queue: String) -> Bool {
        let now = ContinuousClock.now
        return queues.withLock { queues in
            if let state = queues[queue], now - state.lastSent < window {
                queues[queue]!.trailingDue = queues[queue]!.trailingDue ?? now + window
                return false
            }
            queues[queue] = QueueState(lastSent: now, trailingDue: nil)
            return true
        }
    }

    /// Sends trailing wake-ups until graceful shutdown, then the last ones.
    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await Task.sleep(for: window / 2)
            await sendDue(force: false)
        }
        await sendDue(force: true)
    }

    private func sendDue(force: Bool) async {
        let now = ContinuousClock.now
        let due = queues.withLock { queues -> [String] in
            let names = queues.filter { $0.value.trailingDue.map { force || $0 <= now } ?? false }.map(\.key)
            for name in names { queues[name] = QueueState(lastSent: now, trailingDue: nil) }
            return names.sorted()
        }
        guard !due.isEmpty else { return }
        do {
            try await pool.query("SELECT pg_notify(\(JobQueue.wakeupChannel), name) FROM unnest(\(due)::text[]) AS name")
        } catch {
            logger.warning("trailing wake-up failed; workers will poll", metadata: ["error": "\(error)"])
        }
    }
}
