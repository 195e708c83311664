import Foundation
import Postgres

/// Records events for a user's webhooks, in the caller's transaction, so an event exists
/// exactly when the change that caused it is committed.
public enum WebhookEvents {
    /// What one emitted event became: its id and, per subscribed webhook, a delivery and the
    /// job sending it. Empty when no enabled webhook of the user subscribes to the event.
    public struct Emitted: Sendable, Equatable {
        /// A delivery created for the event and the job that will send it.
        public struct Delivery: Sendable, Equatable {
            public var id: UUID
            public var jobID: Int
        }

        public var eventID: String
        public var deliveries: [Delivery]
    }

    /// Emits `type` with `data` (a JSON object: strings, numbers, booleans, arrays, nested
    /// objects, `NSNull`) to the user's webhooks, or only to `webhookID`. A user without a
    /// subscribed webhook costs one index lookup and writes nothing.
    @discardableResult
    public static func emit(
        _ type: WebhookEventType, userID: String, data: [String: Any], onlyTo webhookID: UUID? = nil,
        on connection: PostgresConnection
    ) throws -> Emitted? {
        let json = try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys])
        let rows = try connection.query("""
            SELECT event_id, delivery_id, job_id
            FROM emit_webhook_event(\(userID), \(type.rawValue), \(PostgresJSON(text: String(decoding: json, as: UTF8.self))), \(webhookID))
            """).rows
        guard let first = rows.first else { return nil }
        return Emitted(
            eventID: try first.decode("event_id"),
            deliveries: try rows.map { Emitted.Delivery(id: try $0.decode("delivery_id"), jobID: try $0.decode("job_id")) })
    }
}
