import Foundation
import Postgres

/// A user's subscription to events, delivered to `url`.
public struct Webhook: Sendable, Equatable {
    public var id: UUID
    public var userID: String
    public var url: String
    public var events: [String]
    public var description: String?
    public var enabled: Bool
    public var disabledReason: String?
    public var consecutiveFailures: Int
    public var createdAt: Date
    public var updatedAt: Date

    static let columns = """
        w.id, w.user_id, w.url, w.events, w.description, w.enabled, w.disabled_reason, w.consecutive_failures,
        w.created_at, w.updated_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        userID = try row.decode("user_id")
        url = try row.decode("url")
        events = try row.decode("events")
        description = try row.decode("description", as: String?.self)
        enabled = try row.decode("enabled")
        disabledReason = try row.decode("disabled_reason", as: String?.self)
        consecutiveFailures = try row.decode("consecutive_failures")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }
}

/// One event sent (or to be sent) to one webhook, with every attempt.
public struct WebhookDelivery: Sendable, Equatable {
    /// Where a delivery stands: `pending` and `retrying` will be attempted; `cancelled` means the
    /// webhook was disabled first.
    public enum Status: String, Sendable, CaseIterable {
        case pending, retrying, delivered, failed, cancelled
    }

    public var id: UUID
    public var webhookID: UUID
    public var eventID: String
    public var eventType: String
    public var status: Status
    public var attempts: Int
    public var responseStatus: Int?
    public var error: String?
    /// JSON array: `[{"attempt", "at", "response_status", "error", "duration_ms"}]`.
    public var attemptLog: String
    public var createdAt: Date
    public var nextAttemptAt: Date?
    public var deliveredAt: Date?

    static let columns = """
        d.id, d.webhook_id, d.event_id, e.type AS event_type, d.status, d.attempts, d.response_status, d.error,
        d.attempt_log, d.created_at, d.next_attempt_at, d.delivered_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        webhookID = try row.decode("webhook_id")
        eventID = try row.decode("event_id")
        eventType = try row.decode("event_type")
        status = Status(rawValue: try row.decode("status")) ?? .pending
        attempts = try row.decode("attempts")
        responseStatus = try row.decode("response_status", as: Int?.self)
        error = try row.decode("error", as: String?.self)
        attemptLog = try row.decode("attempt_log", as: PostgresJSON.self).text
        createdAt = try row.decode("created_at")
        nextAttemptAt = try row.decode("next_attempt_at", as: Date?.self)
        deliveredAt = try row.decode("delivered_at", as: Date?.self)
    }
}

/// What a worker needs to send one delivery.
public struct PendingDelivery: Sendable {
    public var deliveryID: UUID
    public var webhookID: UUID
    public var url: String
    public var secret: String
    public var webhookEnabled: Bool
    public var status: WebhookDelivery.Status
    public var attempts: Int
    public var eventID: String
    public var eventType: String
    public var eventData: String
    public var eventCreatedAt: Date
}

/// How one delivery attempt ended.
public struct DeliveryAttempt: Sendable {
    public var responseStatus: Int?
    public var error: String?
    public var duration: Duration

    public init(responseStatus: Int?, error: String?, duration: Duration) {
        self.responseStatus = responseStatus
        self.error = error
        self.duration = duration
    }

    public var succeeded: Bool { error == nil && (200..<300).contains(responseStatus ?? 0) }
}
