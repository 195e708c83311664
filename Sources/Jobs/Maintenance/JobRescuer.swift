import Logging
import Postgres
import ServiceLifecycle

/// Gives the jobs of dead workers (silent for `deadAfter`) back to their queues, every
/// `interval`. Every worker process runs one; only the one holding the advisory lock acts
/// in a given tick.
public struct JobRescuer: Service {
    let queue: JobQueue
    let pool: PostgresPool
    let interval: Duration
    let deadAfter: Duration
    let logger: Logger
    /// Advisory lock key of the rescuer (an arbitrary constant).
    static let lockKey = 7_260_513_002

    public init(queue: JobQueue, pool: PostgresPool, interval: Duration, deadAfter: Duration, logger: Logger) {
        self.queue = queue
        self.pool = pool
        self.interval = interval
        self.deadAfter = deadAfter
        self.logger = logger
    }

    public func run() async {
        await repeatUntilShutdown(every: interval) { await rescue() }
    }

    private func rescue() async {
        do {
            let rescued = try await pool.withConnection { [queue, deadAfter] connection in
                try JobQueue.withExclusiveTurn(Self.lockKey, on: connection) {
                    try queue.rescueStuckJobs(deadAfter: deadAfter, on: $0)
                } ?? []
            }
            if !rescued.isEmpty {
                logger.notice("rescued jobs of dead workers", metadata: ["jobs": "\(rescued)"])
            }
        } catch {
            logger.warning("rescuer failed", metadata: ["error": "\(error)"])
        }
    }
}
