/// The catalogue of events a webhook can subscribe to (documented in
/// docs/webhooks-billing-analytics.md). `"*"` subscribes to all of them.
public enum WebhookEventType: String, Sendable, CaseIterable {
    case contextAdded = "context.added"
    case contextIndexed = "context.indexed"
    case contextDeleted = "context.deleted"
    case memoryCreated = "memory.created"
    case memoryUpdated = "memory.updated"
    case memoryDeleted = "memory.deleted"
    case memoriesExtracted = "memories.extracted"
    case chatMessage = "chat.message"
    case qaAnswer = "qa.answer"
    /// Written by the `jobs_failed` trigger in sql/0011_webhooks.sql.
    case jobFailed = "job.failed"
    case usageLimitReached = "usage.limit_reached"
    case webhookTest = "webhook.test"

    /// Subscribes to every event.
    public static let wildcard = "*"
}
