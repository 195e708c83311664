import Foundation
import Jobs

/// Sends one webhook delivery. Written by `emit_webhook_event` in sql/0011_webhooks.sql,
/// which must agree with this kind, queue and argument name. The delivery keeps its own
/// attempt count and schedule (about a day); the job's attempts only cover worker crashes.
public struct DeliverWebhookJob: JobArguments {
    public static let kind = "webhook.deliver"
    public static var defaults: JobOptions { JobOptions(queue: "webhooks", maxAttempts: 5, timeout: .seconds(120)) }
    public var deliveryID: UUID

    enum CodingKeys: String, CodingKey {
        case deliveryID = "delivery_id"
    }

    public init(deliveryID: UUID) {
        self.deliveryID = deliveryID
    }
}

/// The periodic usage rollup: monthly totals and closed billing periods.
public struct RollUpUsageJob: JobArguments {
    public static let kind = "billing.rollup"
    public static var defaults: JobOptions { JobOptions(queue: "maintenance", maxAttempts: 3, timeout: .seconds(600)) }

    public init() {}
}

/// Deletes events (and their deliveries) older than the retention, in batches.
public struct PruneWebhookEventsJob: JobArguments {
    public static let kind = "maintenance.prune-webhook-events"
    public static var defaults: JobOptions { JobOptions(queue: "maintenance", maxAttempts: 3, timeout: .seconds(600)) }
    public var retentionDays: Int

    public init(retentionDays: Int) {
        self.retentionDays = retentionDays
    }
}
