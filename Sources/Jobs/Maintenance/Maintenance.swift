import Logging
import Postgres

/// The duties every worker process offers but only one performs per tick (whoever takes
/// the advisory lock): rescuing the jobs of dead workers, and enqueueing periodic jobs.
struct Maintenance: Sendable {
    let context: ProcessorContext
    /// Advisory lock key of the rescuer (an arbitrary constant).
    static let rescuerLock = 7_260_513_002

    func run(until stop: WakeSignal) async {
        while !(await stop.wait(timeout: context.configuration.maintenanceInterval)) {
            await rescue()
            await enqueuePeriodic()
        }
    }

    private func rescue() async {
        do {
            let rescued = try await context.pool.withConnection { [context] connection in
                try JobQueue.withExclusiveTurn(Self.rescuerLock, on: connection) {
                    try context.queue.rescueStuckJobs(deadAfter: context.configuration.deadAfter, on: $0)
                } ?? []
            }
            if !rescued.isEmpty {
                context.logger.notice("rescued jobs of dead workers", metadata: ["jobs": "\(rescued)"])
            }
        } catch {
            context.logger.warning("rescuer failed", metadata: ["error": "\(error)"])
        }
    }

    private func enqueuePeriodic() async {
        let periodic = context.configuration.periodicJobs
        guard !periodic.isEmpty else { return }
        do {
            _ = try await context.pool.withTransaction { [context] in
                try context.queue.enqueueDuePeriodicJobs(periodic, on: $0)
            }
        } catch {
            context.logger.warning("periodic enqueue failed", metadata: ["error": "\(error)"])
        }
    }
}
