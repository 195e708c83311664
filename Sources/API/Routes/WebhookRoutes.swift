import Core
import Foundation
import Hummingbird
import Postgres

/// The Webhook API: `/api/v1/webhooks…`, in the Context0 envelope (scope `webhooks:manage`).
struct WebhookRoutes: Sendable {
    let pool: PostgresPool
    let store = WebhookStore()
    let settings: WebhookSettings

    func add(to routes: ProtectedRoutes) {
        routes.post("", .needs(.webhooksManage), use: create)
        routes.get("", .needs(.webhooksManage), use: list)
        routes.get("{id}", .needs(.webhooksManage), use: show)
        routes.delete("{id}", .needs(.webhooksManage), use: delete)
        routes.post("{id}/enable", .needs(.webhooksManage), use: enable)
        routes.post("{id}/test", .needs(.webhooksManage), use: test)
        routes.get("{id}/deliveries", .needs(.webhooksManage), use: deliveries)
    }

    /// 201 with the webhook and its signing secret, which is never shown again.
    @Sendable func create(_ request: Request, context: Context0RequestContext) async throws -> EditedResponse<Envelope<Merged<WebhookViews.Webhook, WebhookViews.Secret>>> {
        let caller = try context.caller()
        let new = try WebhookRequests.new(try await JSONBody(request), settings: settings)
        let created = try await pool.withTransaction { [store] in
            try store.create(userID: caller.userID, url: new.url, events: new.events, description: new.description, on: $0)
        }
        guard let (webhook, secret) = created else {
            throw APIError.validation("at most \(WebhookStore.maxPerUser) webhooks per user; delete one first", field: "url")
        }
        return Envelope.answer(
            .created, "webhook created; keep the secret, it is shown only once", Merged(WebhookViews.Webhook(webhook), WebhookViews.Secret(secret: secret)))
    }

    @Sendable func list(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Paged<WebhookViews.Webhook>> {
        let caller = try context.caller()
        let (limit, skip) = try Paged<Never>.window(request)
        let (webhooks, total) = try await pool.withConnection { [store] in try store.list(userID: caller.userID, limit: limit, skip: skip, on: $0) }
        return Envelope("\(total) webhooks", Paged(items: webhooks.map(WebhookViews.Webhook.init), total: total, limit: limit, skip: skip))
    }

    @Sendable func show(_ request: Request, context: Context0RequestContext) async throws -> Envelope<WebhookViews.Webhook> {
        let caller = try context.caller()
        let id = try WebhookRequests.id(context)
        guard let webhook = try await pool.withConnection({ [store] in try store.find(id: id, userID: caller.userID, on: $0) }) else {
            throw APIError.notFound("no webhook \(id.apiString)")
        }
        return Envelope("webhook found", WebhookViews.Webhook(webhook))
    }

    @Sendable func delete(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Deleted> {
        let caller = try context.caller()
        let id = try WebhookRequests.id(context)
        guard try await pool.withTransaction({ [store] in try store.delete(id: id, userID: caller.userID, on: $0) }) else {
            throw APIError.notFound("no webhook \(id.apiString)")
        }
        return Envelope("webhook deleted", Deleted(id: id.apiString))
    }

    @Sendable func enable(_ request: Request, context: Context0RequestContext) async throws -> Envelope<WebhookViews.Webhook> {
        let caller = try context.caller()
        let id = try WebhookRequests.id(context)
        guard let webhook = try await pool.withTransaction({ [store] in try store.enable(id: id, userID: caller.userID, on: $0) }) else {
            throw APIError.notFound("no webhook \(id.apiString)")
        }
        return Envelope("webhook enabled", WebhookViews.Webhook(webhook))
    }

    /// 202: a `webhook.test` event for this webhook only, delivered like any other.
    @Sendable func test(_ request: Request, context: Context0RequestContext) async throws -> EditedResponse<Envelope<WebhookViews.TestQueued>> {
        let caller = try context.caller()
        let id = try WebhookRequests.id(context)
        let emitted = try await pool.withTransaction { [store] connection -> WebhookEvents.Emitted?? in
            guard let webhook = try store.find(id: id, userID: caller.userID, on: connection) else { return .none }
            guard webhook.enabled else { return .some(nil) }
            return .some(try WebhookEvents.emit(.webhookTest, userID: caller.userID, data: [
                "webhook_id": id.apiString, "message": "a test event from Context0",
            ], onlyTo: id, on: connection))
        }
        guard let found = emitted else { throw APIError.notFound("no webhook \(id.apiString)") }
        guard let event = found, let delivery = event.deliveries.first else {
            throw APIError.validation("the webhook is disabled; enable it first", field: "id")
        }
        return Envelope.answer(.accepted, "test event queued", WebhookViews.TestQueued(event_id: event.eventID, delivery_id: delivery.id.apiString, job_id: delivery.jobID))
    }

    @Sendable func deliveries(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Paged<WebhookViews.Delivery>> {
        let caller = try context.caller()
        let id = try WebhookRequests.id(context)
        let (limit, skip) = try Paged<Never>.window(request)
        let status = try WebhookRequests.deliveryStatus(request)
        let page = try await pool.withConnection { [store] in
            try store.deliveries(webhookID: id, userID: caller.userID, status: status, limit: limit, skip: skip, on: $0)
        }
        guard let (deliveries, total) = page else { throw APIError.notFound("no webhook \(id.apiString)") }
        return Envelope("\(total) deliveries", Paged(items: deliveries.map(WebhookViews.Delivery.init), total: total, limit: limit, skip: skip))
    }
}

/// The Webhook API's request bodies and parameters, validated.
enum WebhookRequests {
    struct NewWebhook {
        var url: String
        var events: [String]
        var description: String?
    }

    static func new(_ body: JSONBody, settings: WebhookSettings) throws -> NewWebhook {
        guard let url = try body.string("url", maxLength: WebhookURL.maxLength) else {
            throw APIError.validation("url is required: the http or https address to deliver events to", field: "url")
        }
        if case .failure(let refusal) = WebhookURL.validate(url, allowPrivate: settings.allowPrivateTargets) {
            throw APIError.validation(refusal.description, field: "url")
        }
        guard let values = try body.array("events"), (1...50).contains(values.count) else {
            throw APIError.validation("events must list 1 to 50 event types, or \"*\" for all", field: "events")
        }
        let known = Set(WebhookEventType.allCases.map(\.rawValue) + [WebhookEventType.wildcard])
        var events = [String]()
        for value in values {
            guard case .string(let name) = value, known.contains(name) else {
                throw APIError.validation("unknown event type; known: " + WebhookEventType.allCases.map(\.rawValue).joined(separator: ", ") + " or *", field: "events")
            }
            if !events.contains(name) { events.append(name) }
        }
        return NewWebhook(url: url, events: events, description: try body.string("description", maxLength: 500))
    }

    static func id(_ context: Context0RequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw APIError.validation("the webhook id must be a UUID", field: "id")
        }
        return id
    }

    static func deliveryStatus(_ request: Request) throws -> WebhookDelivery.Status? {
        try QueryParameters(request).choice("status", WebhookDelivery.Status.self)
    }
}
