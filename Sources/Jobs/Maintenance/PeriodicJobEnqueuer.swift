import Logging
import Postgres
import ServiceLifecycle

/// Enqueues each periodic job when its tick is due, checked every `interval`. Every worker
/// process runs one; a tick's job is enqueued once whichever process gets there first.
public struct PeriodicJobEnqueuer: Service {
    let queue: JobQueue
    let pool: PostgresPool
    let jobs: [PeriodicJob]
    let interval: Duration
    let logger: Logger

    public init(queue: JobQueue, pool: PostgresPool, jobs: [PeriodicJob], interval: Duration, logger: Logger) {
        self.queue = queue
        self.pool = pool
        self.jobs = jobs
        self.interval = interval
        self.logger = logger
    }

    public func run() async {
        await repeatUntilShutdown(every: interval) {
            if !jobs.isEmpty { await enqueueDue() }
        }
    }

    private func enqueueDue() async {
        do {
            _ = try await pool.withTransaction { [queue, jobs] in try queue.enqueueDuePeriodicJobs(jobs, on: $0) }
        } catch {
            logger.warning("periodic enqueue failed", metadata: ["error": "\(error)"])
        }
    }

}
