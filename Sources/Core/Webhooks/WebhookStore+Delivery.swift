import Foundation
import Postgres

/// What the delivery worker reads and writes.
extension WebhookStore {
    /// Everything needed to send a delivery; nil when it (or its webhook) was deleted.
    public func pendingDelivery(id: UUID, on connection: PostgresConnection) throws -> PendingDelivery? {
        guard let row = try connection.query("""
            SELECT d.id, d.webhook_id, w.url, w.secret, w.enabled, d.status, d.attempts,
                   e.id AS event_id, e.type, e.data, e.created_at
            FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN webhook_events e ON e.id = d.event_id
            WHERE d.id = \(id)
            """).first else { return nil }
        return PendingDelivery(
            deliveryID: try row.decode("id"), webhookID: try row.decode("webhook_id"), url: try row.decode("url"),
            secret: try row.decode("secret"), webhookEnabled: try row.decode("enabled"),
            status: WebhookDelivery.Status(rawValue: try row.decode("status")) ?? .pending, attempts: try row.decode("attempts"),
            eventID: try row.decode("event_id"), eventType: try row.decode("type"),
            eventData: try row.decode("data", as: PostgresJSON.self).text, eventCreatedAt: try row.decode("created_at"))
    }

    /// Ends a delivery that will not be sent again: `cancelled` (its webhook was disabled)
    /// or `failed` (its job failed for good).
    public func end(deliveryID: UUID, status: WebhookDelivery.Status, reason: String, on connection: PostgresConnection) throws {
        try connection.query("""
            UPDATE webhook_deliveries SET status = \(status.rawValue), error = \(reason), next_attempt_at = NULL, updated_at = now()
            WHERE id = \(deliveryID) AND status IN ('pending', 'retrying')
            """)
    }

    /// What became of a delivery after an attempt.
    public enum AttemptResult: Sendable, Equatable {
        case delivered
        /// Failed; the next attempt waits this long.
        case retry(after: Duration)
        /// Failed for the last time.
        case failed
        /// Failed, and the webhook has now failed `disableAfter` times in a row: it is
        /// disabled and its waiting deliveries cancelled. (A delivery whose webhook another
        /// one disabled meanwhile ends `cancelled`, as `.failed`.)
        case webhookDisabled
    }

    /// Records an attempt in the delivery's log and the webhook's failure count, in one
    /// transaction. `retryDelay` is nil when this was the last attempt. A webhook reaching
    /// `disableAfter` consecutive failed attempts is disabled with the reason.
    public func recordAttempt(
        _ attempt: DeliveryAttempt, deliveryID: UUID, webhookID: UUID, retryDelay: Duration?, disableAfter: Int,
        on connection: PostgresConnection
    ) throws -> AttemptResult {
        let status: WebhookDelivery.Status
        let result: AttemptResult
        if attempt.succeeded {
            (status, result) = (.delivered, .delivered)
            try connection.query("""
                UPDATE webhooks SET consecutive_failures = 0, updated_at = now() WHERE id = \(webhookID) AND consecutive_failures <> 0
                """)
        } else {
            let reason = "disabled after \(disableAfter) failed delivery attempts in a row; last: \(attempt.summary)"
            // Only failures while enabled count: deliveries in flight when another one
            // disabled the webhook neither count nor disable it again.
            let row = try connection.query("""
                UPDATE webhooks SET
                    consecutive_failures = consecutive_failures + CASE WHEN enabled THEN 1 ELSE 0 END, updated_at = now(),
                    enabled = enabled AND consecutive_failures + 1 < \(disableAfter),
                    disabled_reason = CASE WHEN enabled AND consecutive_failures + 1 >= \(disableAfter) THEN \(reason) ELSE disabled_reason END
                WHERE id = \(webhookID)
                RETURNING old.enabled AND NOT new.enabled AS disabled_now, NOT old.enabled AS was_disabled
                """).first
            let disabledNow: Bool = try row?.decode("disabled_now") ?? false
            let wasDisabled: Bool = try row?.decode("was_disabled") ?? false
            if wasDisabled {
                (status, result) = (.cancelled, .failed)
            } else if disabledNow {
                (status, result) = (.failed, .webhookDisabled)
                try connection.query("""
                    UPDATE webhook_deliveries SET status = 'cancelled', error = 'the webhook was disabled', next_attempt_at = NULL, updated_at = now()
                    WHERE webhook_id = \(webhookID) AND id <> \(deliveryID) AND status IN ('pending', 'retrying')
                    """)
            } else if let retryDelay {
                (status, result) = (.retrying, .retry(after: retryDelay))
            } else {
                (status, result) = (.failed, .failed)
            }
        }
        let retrySeconds: Double? = if case .retry(let delay) = result { delay.seconds } else { nil }
        try connection.query("""
            UPDATE webhook_deliveries SET
                attempts = attempts + 1, status = \(status.rawValue), response_status = \(attempt.responseStatus),
                error = \(attempt.error), updated_at = now(),
                next_attempt_at = now() + \(retrySeconds) * interval '1 second',
                delivered_at = CASE WHEN \(status.rawValue) = 'delivered' THEN now() END,
                attempt_log = attempt_log || jsonb_build_array(jsonb_build_object(
                    'attempt', attempts + 1, 'at', now(), 'response_status', \(attempt.responseStatus)::integer,
                    'error', \(attempt.error)::text, 'duration_ms', \(Int(attempt.duration.seconds * 1000))::integer))
            WHERE id = \(deliveryID)
            """)
        return result
    }
}

extension DeliveryAttempt {
    /// `HTTP 503` or the network error, for logs and reasons.
    var summary: String {
        if let error { return error }
        return "HTTP \(responseStatus.map(String.init) ?? "?")"
    }
}

extension WebhookStore {
    /// Deletes up to `batch` events older than `days` days with their deliveries, unless a
    /// delivery still retries; how many were deleted.
    public func pruneEvents(olderThanDays days: Int, batch: Int = 5000, on connection: PostgresConnection) throws -> Int {
        try connection.query("""
            DELETE FROM webhook_events WHERE id IN (
                SELECT e.id FROM webhook_events e WHERE e.created_at < now() - \(days) * interval '1 day'
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'retrying'))
                ORDER BY e.created_at LIMIT \(batch))
            """).affectedRows
    }
}
