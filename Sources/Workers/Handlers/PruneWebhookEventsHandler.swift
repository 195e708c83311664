import Core
import Jobs
import Postgres

/// `maintenance.prune-webhook-events`: batch after batch, each in its own transaction, so
/// no long lock is held.
struct PruneWebhookEventsHandler: JobHandler {
    let pool: PostgresPool

    func run(_ job: PruneWebhookEventsArgs, context: JobContext) async throws -> JobOutcome {
        var total = 0
        while true {
            let deleted = try await pool.withTransaction { try WebhookStore().pruneEvents(olderThanDays: job.retentionDays, on: $0) }
            total += deleted
            if deleted == 0 || Task.isCancelled { break }
        }
        if total > 0 { context.logger.info("pruned webhook events", metadata: ["deleted": "\(total)"]) }
        return .completed
    }
}
