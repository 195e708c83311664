import Core

/// OpenAPI operations of webhooks, billing and analytics (docs/webhooks-billing-analytics.md).
enum UsageOperations {
    typealias Ops = Context0Operations
    typealias Doc = OpenAPIDocument

    static var range: [[String: Any]] {
        [
            Ops.query("start_date", ["type": "string", "format": "date"], "YYYY-MM-DD (an ISO 8601 time is taken too); default 30 days before end_date"),
            Ops.query("end_date", ["type": "string", "format": "date"], "YYYY-MM-DD (inclusive; an ISO 8601 time is taken too); default now; at most 366 days after start_date"),
        ]
    }

    /// Names of `TrendPoint.fields`, separated by commas with spaces or tabs around them.
    static var metricsPattern: String {
        let name = "[ \\t]*(" + TrendPoint.fields.joined(separator: "|") + ")[ \\t]*"
        return "^\(name)(,\(name))*$"
    }

    static var paths: [String: Any] {
        let events = WebhookEventType.allCases.map(\.rawValue) + [WebhookEventType.wildcard]
        return [
            "/api/v1/webhooks": [
                "post": ["summary": "Register a webhook; the answer holds its whsec_ signing secret, shown once (webhooks:manage)",
                         "requestBody": Ops.body([
                            "url": ["type": "string", "format": "uri", "maxLength": 2048, "description": "http or https; no private or loopback targets unless WEBHOOK_ALLOW_PRIVATE=1"],
                            "events": ["type": "array", "minItems": 1, "maxItems": 50, "items": ["type": "string", "enum": events]],
                            "description": ["type": ["string", "null"], "maxLength": 500],
                         ], required: ["url", "events"]),
                         "responses": Ops.responses(["201": "the webhook with its secret"])],
                "get": ["summary": "The caller's webhooks, newest first (webhooks:manage)", "parameters": Ops.paging,
                        "responses": Ops.responses(["200": "{items, total, limit, skip}"], body: false)],
            ],
            "/api/v1/webhooks/{id}": [
                "get": ["summary": "A webhook (webhooks:manage)", "parameters": Ops.idParameter,
                        "responses": Ops.responses(["200": "the webhook"], notFound: true, body: false)],
                "delete": ["summary": "Remove a webhook and its delivery log (webhooks:manage)", "parameters": Ops.idParameter,
                           "responses": Ops.responses(["200": "{id, deleted}"], notFound: true, body: false)],
            ],
            "/api/v1/webhooks/{id}/enable": ["post": [
                "summary": "Enable a (disabled) webhook again and reset its failures (webhooks:manage)", "parameters": Ops.idParameter,
                "responses": Ops.responses(["200": "the webhook"], notFound: true, body: false),
            ]],
            "/api/v1/webhooks/{id}/test": ["post": [
                "summary": "Send a webhook.test event to this webhook (webhooks:manage)", "parameters": Ops.idParameter,
                "responses": Ops.responses(["202": "{event_id, delivery_id, job_id}"], notFound: true, body: false),
            ]],
            "/api/v1/webhooks/{id}/deliveries": ["get": [
                "summary": "The webhook's delivery log with every attempt, newest first (webhooks:manage)",
                "parameters": Ops.idParameter + Ops.paging + [
                    Ops.query("status", ["type": "string", "enum": WebhookDelivery.Status.allCases.map(\.rawValue)]),
                ],
                "responses": Ops.responses(["200": "{items, total, limit, skip}"], notFound: true, body: false),
            ]],
            "/api/v1/billing/usage": ["get": [
                "summary": "The current period (calendar month, UTC) to date against the plan (billing:read)",
                "responses": Ops.responses(["200": "{plan, period, metrics, requests, base_price_cents, estimated_total_cents}"], body: false),
            ]],
            "/api/v1/billing/history": ["get": [
                "summary": "Closed periods with line items and totals, newest first (billing:read)", "parameters": Ops.paging,
                "responses": Ops.responses(["200": "{items, total, limit, skip}"], body: false),
            ]],
            "/api/v1/billing/limits": ["get": [
                "summary": "The plan's rate limits, quotas and prices (billing:read)",
                "responses": Ops.responses(["200": "{plan, monthly_price_cents, rate_limits, quotas, unit_prices_cents}"], body: false),
            ]],
            "/api/v1/analytics/usage": ["get": [
                "summary": "Requests and metered usage over a range, and totals now (analytics:read)", "parameters": range,
                "responses": Ops.responses(["200": "{range, requests, usage, totals}"], body: false),
            ]],
            "/api/v1/analytics/memories": ["get": [
                "summary": "Live memories by category, emotion and source; daily growth over a range (analytics:read)", "parameters": range,
                "responses": Ops.responses(["200": "{range, total, created_in_range, by_category, by_emotion, by_source, growth}"], body: false),
            ]],
            "/api/v1/analytics/trends": ["get": [
                "summary": "Time series in day or week buckets over a range (analytics:read)",
                "parameters": range + [
                    Ops.query("bucket", ["type": "string", "enum": TrendBucket.allCases.map(\.rawValue), "default": "day"]),
                    Ops.query("metrics", ["type": "string", "pattern": metricsPattern], "comma-separated: " + TrendPoint.fields.joined(separator: ", ") + "; all by default"),
                ],
                "responses": Ops.responses(["200": "{bucket, range, metrics, series}"], body: false),
            ]],
        ]
    }
}
