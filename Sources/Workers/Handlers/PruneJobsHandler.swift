import Jobs
import Postgres

/// `maintenance.prune-jobs`: deletes finished jobs older than the retention.
struct PruneJobsHandler: JobHandler {
    let queue: JobQueue
    let pool: PostgresPool

    func run(_ job: PruneJobsArgs, context: JobContext) async throws -> JobOutcome {
        let retention = Duration.seconds(job.retentionSeconds)
        let deleted = try await pool.withConnection { [queue] in try queue.prune(olderThan: retention, on: $0) }
        context.logger.info("pruned finished jobs", metadata: ["deleted": "\(deleted)"])
        return .completed
    }
}
