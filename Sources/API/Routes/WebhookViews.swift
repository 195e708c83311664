import Core
import Foundation

/// How webhooks and their deliveries appear in responses.
enum WebhookViews {
    struct Webhook: Encodable, Sendable {
        let id: String
        let url: String
        let events: [String]
        @Nullable var description: String?
        let enabled: Bool
        @Nullable var disabled_reason: String?
        let consecutive_failures: Int
        let created_at: Date
        let updated_at: Date

        init(_ webhook: Core.Webhook) {
            id = webhook.id.apiString
            url = webhook.url
            events = webhook.events
            description = webhook.description
            enabled = webhook.enabled
            disabled_reason = webhook.disabledReason
            consecutive_failures = webhook.consecutiveFailures
            created_at = webhook.createdAt
            updated_at = webhook.updatedAt
        }
    }

    /// The signing secret, answered once, on create.
    struct Secret: Encodable, Sendable {
        let secret: String
    }

    struct Delivery: Encodable, Sendable {
        let id: String
        let webhook_id: String
        let event_id: String
        let event_type: String
        let status: String
        let attempts: Int
        @Nullable var response_status: Int?
        @Nullable var error: String?
        let created_at: Date
        @Nullable var next_attempt_at: Date?
        @Nullable var delivered_at: Date?
        let attempt_log: JSONValue

        init(_ delivery: WebhookDelivery) {
            id = delivery.id.apiString
            webhook_id = delivery.webhookID.apiString
            event_id = delivery.eventID
            event_type = delivery.eventType
            status = delivery.status.rawValue
            attempts = delivery.attempts
            response_status = delivery.responseStatus
            error = delivery.error
            created_at = delivery.createdAt
            next_attempt_at = delivery.nextAttemptAt
            delivered_at = delivery.deliveredAt
            attempt_log = JSONValue(storedText: delivery.attemptLog)
        }
    }

    /// `POST /webhooks/{id}/test`.
    struct TestQueued: Encodable, Sendable {
        let event_id: String
        let delivery_id: String
        let job_id: Int
    }
}
