import Foundation
import Jobs

/// Sends one webhook delivery. Enqueued by the SQL function `emit_webhook_event` (latest in
/// sql/0017_fair_claims.sql), which writes this kind, queue, attempts, time-out and argument
/// name itself; `DeliveryJobContractTests` holds the two together. The delivery keeps its own
/// attempt count and schedule (about a day); the job's attempts only cover worker crashes.
public struct DeliverWebhookArgs: JobArguments {
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

/// Deletes events (and their deliveries) older than the retention, in batches.
public struct PruneWebhookEventsArgs: JobArguments {
    public static let kind = "maintenance.prune-webhook-events"
    public static var defaults: JobOptions { JobOptions(queue: "maintenance", maxAttempts: 3, timeout: .seconds(600)) }
    public var retentionDays: Int

    public init(retentionDays: Int) {
        self.retentionDays = retentionDays
    }
}
