import AsyncHTTPClient
import Core
import Foundation
import Jobs
import Logging
import Postgres

/// `webhook.deliver`: POSTs one event to one webhook, signed as Standard Webhooks says,
/// records the attempt, and waits for the next one (snoozing its job) until the delivery
/// succeeds, runs out of attempts, or the webhook is disabled.
///
/// Each attempt goes through `WebhookSender`: every hop's host is resolved once, checked, and
/// connected to by the checked address only; redirects are followed, each hop checked the same
/// way; one deadline covers the attempt; the delivery log gets generic errors only.
struct DeliverWebhookHandler: JobHandler {
    let pool: PostgresPool
    /// Only its event loops are used: each hop gets a client of its own, pinned to its address.
    let http: HTTPClient
    let settings: WebhookSettings
    let store = WebhookStore()
    let resolver: any WebhookResolver = SystemWebhookResolver()
    static let userAgent = "Context0-Webhooks/1.0"

    func run(_ job: DeliverWebhookArgs, context: JobContext) async throws -> JobOutcome {
        guard let delivery = try await pool.withConnection({ [store] in try store.pendingDelivery(id: job.deliveryID, on: $0) }),
              delivery.status == .pending || delivery.status == .retrying else {
            return .completed  // deleted with its webhook, or already finished
        }
        guard delivery.webhookEnabled else {
            try await pool.withConnection { [store] in
                try store.end(deliveryID: delivery.deliveryID, status: .cancelled, reason: "the webhook is disabled", on: $0)
            }
            return .completed
        }
        do {
            return try await attempt(delivery, logger: context.logger)
        } catch where context.job.attempt >= context.job.maxAttempts {
            // The job's last try (its retries cover crashes, not receivers): the delivery must
            // not wait forever in `retrying`. The reason is shown to the user; the error is not.
            context.logger.error("webhook delivery stopped", metadata: ["webhook.delivery": "\(delivery.deliveryID)", "error": "\(error)"])
            try? await pool.withConnection { [store] in
                try store.end(deliveryID: delivery.deliveryID, status: .failed, reason: "delivery stopped by an internal error", on: $0)
            }
            throw error
        }
    }

    private func attempt(_ delivery: PendingDelivery, logger: Logger) async throws -> JobOutcome {
        let attempt = await send(delivery, logger: logger)
        let number = delivery.attempts + 1
        let delay = number >= settings.maxAttempts ? nil : settings.retry.delay(afterAttempt: number)
        let result = try await pool.withTransaction { [store, settings] in
            try store.recordAttempt(
                attempt, deliveryID: delivery.deliveryID, webhookID: delivery.webhookID, retryDelay: delay,
                disableAfter: settings.disableAfter, on: $0)
        }
        if case .retry(let after) = result { return .snoozed(delay: after) }
        return .completed
    }

    /// One attempt: the body, its signature, and the POST through `WebhookSender` (every hop's
    /// target checked and connected to by its checked address, one deadline, a capped read).
    /// The attempt's error is the sender's generic text; details go to `logger`.
    private func send(_ delivery: PendingDelivery, logger: Logger) async -> DeliveryAttempt {
        let started = ContinuousClock.now
        let request: WebhookRequest
        do {
            request = try Self.request(for: delivery)
        } catch {
            logger.error("cannot build a webhook delivery", metadata: ["webhook.delivery": "\(delivery.deliveryID)", "error": "\(error)"])
            return DeliveryAttempt(responseStatus: nil, error: "the event could not be encoded", duration: ContinuousClock.now - started)
        }
        var deliveryLogger = logger
        deliveryLogger[metadataKey: "webhook.delivery"] = "\(delivery.deliveryID)"
        let sender = WebhookSender(settings: settings, resolver: resolver, eventLoopGroup: http.eventLoopGroup)
        let outcome = await sender.send(request, logger: deliveryLogger)
        return DeliveryAttempt(responseStatus: outcome.status, error: outcome.failure?.text, duration: ContinuousClock.now - started)
    }

    /// The signed POST of `delivery` (Standard Webhooks headers).
    static func request(for delivery: PendingDelivery) throws -> WebhookRequest {
        let body = try Self.body(of: delivery)
        let timestamp = Int(Date().timeIntervalSince1970)
        let signature = try WebhookSignature.sign(id: delivery.eventID, timestamp: timestamp, body: body, secret: delivery.secret)
        return WebhookRequest(
            url: delivery.url,
            headers: [
                ("content-type", "application/json"), ("user-agent", userAgent), ("webhook-id", delivery.eventID),
                ("webhook-timestamp", String(timestamp)), ("webhook-signature", signature),
            ],
            body: body)
    }

    /// `{"id", "type", "timestamp", "data"}`.
    static func body(of delivery: PendingDelivery) throws -> Data {
        let data = try JSONSerialization.jsonObject(with: Data(delivery.eventData.utf8), options: [.fragmentsAllowed])
        let timestamp = delivery.eventCreatedAt.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        return try JSONSerialization.data(
            withJSONObject: ["id": delivery.eventID, "type": delivery.eventType, "timestamp": timestamp, "data": data],
            options: [.sortedKeys, .withoutEscapingSlashes])
    }
}
