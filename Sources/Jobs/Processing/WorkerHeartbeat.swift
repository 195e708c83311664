import Logging

/// Tells the database every `heartbeatInterval` that this worker and its jobs are alive;
/// stops jobs whose cancellation was requested (in case the NOTIFY was missed) and jobs
/// this worker no longer owns.
struct WorkerHeartbeat: Sendable {
    let context: ProcessorContext
    let runners: [String: QueueRunner]

    func run(until stop: WakeSignal) async {
        while !(await stop.wait(timeout: context.configuration.heartbeatInterval)) {
            await beat()
        }
    }

    private func beat() async {
        let running = context.running.durableIDs
        do {
            let reply = try await context.bookkeeping.withConnection { [context] in
                try context.queue.heartbeat(
                    workerID: context.workerID, queues: context.configuration.queues, runningJobs: running, on: $0)
            }
            if !reply.wasRegistered {
                context.logger.warning("worker was presumed dead and registered again")
            }
            for id in reply.cancelRequested {
                context.running.stop(id: id, .outcome(.cancelled(reason: "cancellation was requested")))
            }
            // Jobs that finished meanwhile are no longer in `running`; stopping them is a no-op.
            for id in reply.lost {
                context.running.stop(id: id, .lost)
            }
        } catch {
            context.logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
        }
    }
}
