import Settings
import Core
import Embedding
import Foundation
import Jobs
import LLM
import Postgres

/// Everything a worker process is configured with, read from the environment here and
/// nowhere else.
struct WorkerConfiguration: Sendable {
    var databaseURL: String
    var processor: JobProcessorConfiguration
    /// How often the rescuer and the periodic enqueuer run.
    var maintenanceInterval: Duration = .seconds(1)
    /// Jobs enqueued on a schedule.
    var periodicJobs: [PeriodicJob] = []
    var poolSize: Int
    /// Finished jobs older than this are pruned by the periodic maintenance job.
    var retention: Duration
    var embedding: EmbeddingConfiguration
    /// The language model for extraction; nil is offline mode.
    var llm: LLMConfiguration?
    var webhooks: WebhookSettings
    var rateLimits: RateLimitOverrides
    /// Statement, lock and idle-transaction time limits and pool time-outs of the worker's
    /// sessions (`WORKER_DATABASE_…_MS`, see `DatabaseLimits`).
    var databaseLimits: DatabaseLimits

    /// Reads `DATABASE_URL` (or the embedded server), `WORKER_QUEUES` (`name=concurrency,…`),
    /// and the `WORKER_*_MS` intervals.
    init(environment: [String: String], queuesOverride: String? = nil) throws {
        guard let url = ProjectLayout.databaseURL(environment: environment) else {
            throw ConfigurationError("DATABASE_URL is not set and no embedded PostgreSQL was found (run `make run` or scripts/postgres.sh start)")
        }
        databaseURL = url
        databaseLimits = try DatabaseLimits(environment: environment, prefix: "WORKER_DATABASE_", defaults: .worker)
        let queues = try Self.parseQueues(queuesOverride ?? environment["WORKER_QUEUES"] ?? "default=20,ingest=4,embedding=2,extraction=2,maintenance=2,webhooks=8")
        processor = JobProcessorConfiguration(queues: queues)
        func milliseconds(_ name: String) throws -> Duration? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text), value > 0 else { throw ConfigurationError("\(name) must be a positive number of milliseconds") }
            return .milliseconds(value)
        }
        processor.pollInterval = try milliseconds("WORKER_POLL_INTERVAL_MS") ?? processor.pollInterval
        processor.heartbeatInterval = try milliseconds("WORKER_HEARTBEAT_INTERVAL_MS") ?? processor.heartbeatInterval
        processor.deadAfter = try milliseconds("WORKER_DEAD_AFTER_MS") ?? processor.deadAfter
        maintenanceInterval = try milliseconds("WORKER_MAINTENANCE_INTERVAL_MS") ?? maintenanceInterval
        processor.shutdownTimeout = try milliseconds("WORKER_SHUTDOWN_TIMEOUT_MS") ?? processor.shutdownTimeout
        if let text = environment["WORKER_LEASE_WINDOW_MS"] {
            guard let value = Int(text), (0...60_000).contains(value) else {
                throw ConfigurationError("WORKER_LEASE_WINDOW_MS must be a number of milliseconds from 0 to 60000")
            }
            processor.leaseWindow = .milliseconds(value)
        }
        guard processor.leaseWindow < processor.deadAfter else {
            throw ConfigurationError("WORKER_LEASE_WINDOW_MS must be shorter than WORKER_DEAD_AFTER_MS (a lease's jobs have no heartbeat until it closes)")
        }
        let retentionHours = environment["JOB_RETENTION_HOURS"] ?? "24"
        guard let hours = Int(retentionHours), hours >= 1 else {
            throw ConfigurationError("JOB_RETENTION_HOURS must be a whole number of hours, at least 1")
        }
        retention = .seconds(3600 * hours)
        // Handlers hold a connection only briefly, so a worker needs far fewer than its slots;
        // each queue's open claim leases hold one each, and one more may be closing.
        poolSize = try environment["WORKER_DB_POOL_SIZE"].map { text in
            guard let size = Int(text), size > 0 else { throw ConfigurationError("WORKER_DB_POOL_SIZE must be a positive number") }
            return size
        } ?? min(queues.values.reduce(0, +) + 4, 16) + queues.count * (processor.maxOpenLeases + 1)
        embedding = try EmbeddingConfiguration(environment: environment, projectRoot: ProjectLayout.dependenciesRoot)
        llm = try LLMConfiguration(environment: environment)
        webhooks = try WebhookSettings(environment: environment)
        rateLimits = try RateLimitOverrides(environment: environment)
        let rollupInterval = try milliseconds("BILLING_ROLLUP_INTERVAL_MS") ?? .seconds(300)
        guard let webhookEventRetentionDays = Int(environment["WEBHOOK_EVENT_RETENTION_DAYS"] ?? "30"), webhookEventRetentionDays >= 2 else {
            throw ConfigurationError("WEBHOOK_EVENT_RETENTION_DAYS must be a whole number of days, at least 2 (deliveries retry for a day)")
        }
        periodicJobs = [
            PeriodicJob(name: "maintenance.prune-jobs", interval: .seconds(300), job: try NewJob(PruneJobsArgs(retentionSeconds: Int(retention.seconds)))),
            PeriodicJob(name: "billing.rollup", interval: rollupInterval, job: try NewJob(RollUpUsageArgs())),
            PeriodicJob(name: "maintenance.prune-webhook-events", interval: .seconds(3600),
                        job: try NewJob(PruneWebhookEventsArgs(retentionDays: webhookEventRetentionDays))),
        ]
    }

    /// `default=20,embedding=4` → `["default": 20, "embedding": 4]`.
    static func parseQueues(_ text: String) throws -> [String: Int] {
        var queues = [String: Int]()
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let concurrency = Int(parts[1]), concurrency > 0 else {
                throw ConfigurationError("bad queue \"\(entry)\": expected name=concurrency, e.g. default=20")
            }
            queues[parts[0]] = concurrency
        }
        guard !queues.isEmpty else { throw ConfigurationError("no queues to work: set WORKER_QUEUES, e.g. default=20") }
        return queues
    }
}
