import Jobs
import Postgres

/// Periodic maintenance: deletes finished jobs older than the retention.
struct PruneJobsJob: JobArguments {
    static let kind = "maintenance.prune-jobs"
    static var defaults: JobOptions { JobOptions(queue: "maintenance", maxAttempts: 3, timeout: .seconds(600)) }
    var retentionSeconds: Int

    func run(queue: JobQueue, pool: PostgresPool, context: JobContext) async throws -> JobOutcome? {
        let retention = Duration.seconds(retentionSeconds)
        let deleted = try await pool.withConnection { try queue.prune(olderThan: retention, on: $0) }
        context.logger.info("pruned finished jobs", metadata: ["deleted": "\(deleted)"])
        return .completed
    }
}
