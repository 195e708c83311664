import Core
import Foundation
import Hummingbird
import Postgres

/// The Billing API: `/api/v1/billing/…`, in the Context0 envelope (scope `billing:read`).
/// Periods are calendar months in UTC.
struct BillingRoutes: Sendable {
    let pool: PostgresPool
    let billing: BillingStore

    func add(to routes: ProtectedRoutes) {
        routes.get("usage", .needs(.billingRead), use: usage)
        routes.get("history", .needs(.billingRead), use: history)
        routes.get("limits", .needs(.billingRead), use: limits)
    }

    /// The current period to date, against the plan, including this very minute.
    @Sendable func usage(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let period = BillingPeriod(containing: Date())
        let (plan, usage) = try await pool.withConnection { [billing] connection in
            (try billing.plan(userID: caller.userID, on: connection),
             try billing.usage(userID: caller.userID, from: period.start, to: period.end, on: connection))
        }
        let lines = BillingLine.lines(usage: usage, plan: plan)
        var metrics = [String: Any]()
        for line in lines {
            metrics[line.metric] = [
                "used": line.quantity, "quota": BillingViews.optional(line.included),
                "remaining": BillingViews.optional(line.included.map { max(0, $0 - line.quantity) }),
                "percent_used": line.included.map { $0 == 0 ? 100.0 : (Double(line.quantity) / Double($0) * 10_000).rounded() / 100 } as Any? ?? NSNull(),
                "overage": line.overage, "unit_price_cents": line.unitPriceCents, "amount_cents": line.amountCents,
            ] as [String: Any]
        }
        return try Envelope.make(message: "usage for the current period", data: [
            "plan": plan.name, "period": BillingViews.period(period), "metrics": metrics,
            "requests": Dictionary(uniqueKeysWithValues: RateLimitClass.allCases.map { ($0.rawValue, usage["requests." + $0.rawValue] ?? 0) }),
            "base_price_cents": plan.monthlyPriceCents, "estimated_total_cents": BillingLine.totalCents(lines, plan: plan),
        ])
    }

    /// Closed periods with their line items, newest first.
    @Sendable func history(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let (limit, skip) = try ChatViews.paging(request)
        let (periods, total) = try await pool.withConnection { [billing] in try billing.history(userID: caller.userID, limit: limit, skip: skip, on: $0) }
        let items = periods.map { closed -> [String: Any] in
            [
                "period": BillingViews.period(closed.period), "plan": closed.plan, "line_items": MemoryViews.jsonObject(closed.lineItems),
                "base_price_cents": closed.basePriceCents, "total_cents": closed.totalCents, "closed_at": JSONResponse.time(closed.closedAt),
            ]
        }
        return try Envelope.make(message: "\(total) closed periods", data: MemoryViews.page(items, total: total, limit: limit, skip: skip))
    }

    /// The plan's rate limits, quotas and prices.
    @Sendable func limits(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let plan = try await pool.withConnection { [billing] in try billing.plan(userID: caller.userID, on: $0) }
        return try Envelope.make(message: "limits of the \(plan.name) plan", data: [
            "plan": plan.name, "monthly_price_cents": plan.monthlyPriceCents,
            "rate_limits": Dictionary(uniqueKeysWithValues: RateLimitClass.allCases.map {
                ($0.rawValue, ["limit": plan.rateLimits[$0] ?? 0, "window": "hour"] as [String: Any])
            }),
            "quotas": Dictionary(uniqueKeysWithValues: Plan.billableMetrics.map { ($0, BillingViews.optional(plan.quotas[$0])) }),
            "unit_prices_cents": Dictionary(uniqueKeysWithValues: Plan.billableMetrics.map { ($0, plan.unitPricesCents[$0] ?? 0) }),
        ])
    }
}

enum BillingViews {
    static func period(_ period: BillingPeriod) -> [String: Any] {
        ["start": JSONResponse.time(period.start), "end": JSONResponse.time(period.end)]
    }

    static func optional(_ value: Int?) -> Any { value.map { $0 as Any } ?? NSNull() }
}
