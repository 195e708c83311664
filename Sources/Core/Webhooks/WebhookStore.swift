import Foundation
import Postgres

/// Every statement on `webhooks` and `webhook_deliveries`, always filtered by the webhook's
/// user (events are written by `WebhookEvents`).
public struct WebhookStore: Sendable {
    /// Webhooks one user may have.
    public static let maxPerUser = 25

    public init() {}

    /// Creates a webhook with a new secret; nil when the user already has `maxPerUser`.
    /// Returns the webhook and its secret (shown once).
    public func create(
        userID: String, url: String, events: [String], description: String?, on connection: PostgresConnection
    ) throws -> (webhook: Webhook, secret: String)? {
        let secret = WebhookSignature.newSecret()
        // The count and the insert in one statement; two racing creates may both pass at the
        // limit, which costs one extra webhook at most and no lock on every create.
        let row = try connection.query("""
            INSERT INTO webhooks AS w (user_id, url, events, description, secret)
            SELECT \(userID), \(url), \(events), \(description), \(secret)
            WHERE (SELECT count(*) FROM webhooks WHERE user_id = \(userID)) < \(Self.maxPerUser)
            RETURNING \(unsafeRaw: Webhook.columns)
            """).first
        return try row.map { (try Webhook(row: $0), secret) }
    }

    /// The user's webhooks, newest first, and how many they have.
    public func list(userID: String, limit: Int, skip: Int, on connection: PostgresConnection) throws -> (webhooks: [Webhook], total: Int) {
        let rows = try connection.query("""
            SELECT \(unsafeRaw: Webhook.columns), count(*) OVER () AS total FROM webhooks w
            WHERE w.user_id = \(userID) ORDER BY w.created_at DESC, w.id LIMIT \(limit) OFFSET \(skip)
            """).rows
        let total: Int = try rows.first?.decode("total") ?? (try count(userID: userID, on: connection))
        return (try rows.map(Webhook.init(row:)), total)
    }

    private func count(userID: String, on connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*)::bigint AS n FROM webhooks WHERE user_id = \(userID)").first!.decode("n")
    }

    /// The webhook with this id; nil when there is none or it is another user's.
    public func find(id: UUID, userID: String, on connection: PostgresConnection) throws -> Webhook? {
        try connection.query("SELECT \(unsafeRaw: Webhook.columns) FROM webhooks w WHERE w.id = \(id) AND w.user_id = \(userID)")
            .first.map(Webhook.init(row:))
    }

    /// Deletes a webhook with its delivery log; jobs of deliveries not yet sent find nothing
    /// to send and end.
    public func delete(id: UUID, userID: String, on connection: PostgresConnection) throws -> Bool {
        try connection.query("DELETE FROM webhooks WHERE id = \(id) AND user_id = \(userID)").affectedRows == 1
    }

    /// Turns a webhook on again and forgets its failures.
    public func enable(id: UUID, userID: String, on connection: PostgresConnection) throws -> Webhook? {
        try connection.query("""
            UPDATE webhooks w SET enabled = true, disabled_reason = NULL, consecutive_failures = 0, updated_at = now()
            WHERE w.id = \(id) AND w.user_id = \(userID)
            RETURNING \(unsafeRaw: Webhook.columns)
            """).first.map(Webhook.init(row:))
    }

    /// A webhook's deliveries, newest first; nil when the webhook is not the user's.
    public func deliveries(
        webhookID: UUID, userID: String, status: WebhookDelivery.Status?, limit: Int, skip: Int, on connection: PostgresConnection
    ) throws -> (deliveries: [WebhookDelivery], total: Int)? {
        guard try find(id: webhookID, userID: userID, on: connection) != nil else { return nil }
        let rows = try connection.query("""
            SELECT \(unsafeRaw: WebhookDelivery.columns), count(*) OVER () AS total
            FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
            WHERE d.webhook_id = \(webhookID) AND (\(status?.rawValue)::text IS NULL OR d.status = \(status?.rawValue))
            ORDER BY d.created_at DESC, d.id LIMIT \(limit) OFFSET \(skip)
            """).rows
        let total: Int
        if let first = rows.first {
            total = try first.decode("total")
        } else {
            total = try connection.query("""
                SELECT count(*)::bigint AS n FROM webhook_deliveries
                WHERE webhook_id = \(webhookID) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                """).first!.decode("n")
        }
        return (try rows.map(WebhookDelivery.init(row:)), total)
    }

    /// One delivery of the user's, e.g. the one a test event just created.
    public func delivery(id: UUID, userID: String, on connection: PostgresConnection) throws -> WebhookDelivery? {
        try connection.query("""
            SELECT \(unsafeRaw: WebhookDelivery.columns)
            FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
            WHERE d.id = \(id) AND w.user_id = \(userID)
            """).first.map(WebhookDelivery.init(row:))
    }
}
