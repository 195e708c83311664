import Foundation
import Logging

/// Runs one claimed job through its handler and turns whatever happens into an outcome.
struct JobExecution: Sendable {
    let run: JobRun
    let context: ProcessorContext

    /// Starts the attempt; the run's `onEnd` hears how it ended.
    func start() {
        let job = run.job
        guard let handler = context.registry.handler(for: job.kind) else {
            run.stop(.outcome(.failed(error: "unknown job kind \"\(job.kind)\": no handler is registered for it in this worker", retryable: true)))
            return
        }
        let timeout = job.timeout ?? context.registry.defaultTimeout(for: job.kind) ?? context.queue.configuration.defaultTimeout
        let jobContext = JobContext(
            job: job,
            workerLogger: context.logger,
            heartbeat: { [context] in
                // The lease's row lock is the claim until it closes; nothing to confirm.
                if !run.isDurable { return true }
                switch try await context.pool.withConnection({ try context.queue.heartbeat(job: job, on: $0) }) {
                case .owned: return true
                case .cancelRequested: run.stop(.outcome(.cancelled(reason: "cancellation was requested")))
                case .lost: run.stop(.lost)
                }
                return false
            })
        run.start(timeout: timeout) {
            do {
                return try await handler(job.args, jobContext)
            } catch JobError.permanent(let message) {
                return .failed(error: message, retryable: false)
            } catch is CancellationError {
                return .cancelled(reason: "the handler was cancelled")
            } catch {
                return .failed(error: String(describing: error), retryable: true)
            }
        }
    }
}

extension Logger {
    func with(_ metadata: Logger.Metadata) -> Logger {
        var logger = self
        // One assignment: handlers such as StreamLogHandler re-render their metadata on every set.
        logger.handler.metadata.merge(metadata) { $1 }
        return logger
    }
}
