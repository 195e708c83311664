import Core
import Jobs
import Postgres

/// `billing.rollup`: monthly totals from the hourly counters and bills for ended months,
/// in one transaction; the periodic enqueuer runs it once per tick across all workers.
struct RollUpUsageHandler: JobHandler {
    let rollup: UsageRollup
    let pool: PostgresPool

    func run(_ job: RollUpUsageArgs, context: JobContext) async throws -> JobOutcome {
        let summary = try await pool.withTransaction { [rollup] in try rollup.run(on: $0) }
        context.logger.info("usage rolled up", metadata: [
            "monthly_totals_changed": "\(summary.monthlyTotalsChanged)", "periods_closed": "\(summary.periodsClosed)",
            "quotas_changed": "\(summary.quotasChanged)",
        ])
        return .completed
    }
}
