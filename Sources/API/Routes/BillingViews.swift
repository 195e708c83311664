import Core
import Foundation

/// How usage, plans and closed periods appear in responses.
enum BillingViews {
    struct Period: Encodable, Sendable {
        let start: Date
        let end: Date

        init(_ period: BillingPeriod) {
            start = period.start
            end = period.end
        }
    }

    /// One billable metric of the current period.
    struct Metric: Encodable, Sendable {
        let used: Int
        @Nullable var quota: Int?
        @Nullable var remaining: Int?
        @Nullable var percent_used: Double?
        let overage: Int
        let unit_price_cents: Double
        let amount_cents: Double

        init(_ line: BillingLine) {
            used = line.quantity
            quota = line.included
            remaining = line.included.map { max(0, $0 - line.quantity) }
            percent_used = line.included.map { $0 == 0 ? 100.0 : (Double(line.quantity) / Double($0) * 10_000).rounded() / 100 }
            overage = line.overage
            unit_price_cents = line.unitPriceCents
            amount_cents = line.amountCents
        }
    }

    /// `GET /billing/usage`: the current period to date, against the plan.
    struct Usage: Encodable, Sendable {
        let plan: String
        let period: Period
        let metrics: [String: Metric]
        let requests: [String: Int]
        let base_price_cents: Int
        let estimated_total_cents: Int

        init(plan: Plan, period: BillingPeriod, usage: [String: Int]) {
            let lines = BillingLine.lines(usage: usage, plan: plan)
            self.plan = plan.name
            self.period = Period(period)
            metrics = Dictionary(lines.map { ($0.metric, Metric($0)) }) { $1 }
            requests = RateLimitClass.requests(in: usage)
            base_price_cents = plan.monthlyPriceCents
            estimated_total_cents = BillingLine.totalCents(lines, plan: plan)
        }
    }

    struct ClosedPeriod: Encodable, Sendable {
        let period: Period
        let plan: String
        let line_items: JSONValue
        let base_price_cents: Int
        let total_cents: Int
        let closed_at: Date

        init(_ closed: ClosedBillingPeriod) {
            period = Period(closed.period)
            plan = closed.plan
            line_items = JSONValue(storedText: closed.lineItems)
            base_price_cents = closed.basePriceCents
            total_cents = closed.totalCents
            closed_at = closed.closedAt
        }
    }

    /// `GET /billing/limits`: the plan's rate limits, quotas and prices.
    struct Limits: Encodable, Sendable {
        struct RateLimit: Encodable, Sendable {
            let limit: Int
            let window = "hour"
        }

        let plan: String
        let monthly_price_cents: Int
        let rate_limits: [String: RateLimit]
        let quotas: [String: Int?]
        let unit_prices_cents: [String: Double]

        init(_ plan: Plan) {
            self.plan = plan.name
            monthly_price_cents = plan.monthlyPriceCents
            rate_limits = Dictionary(uniqueKeysWithValues: RateLimitClass.allCases.map { ($0.rawValue, RateLimit(limit: plan.rateLimits[$0] ?? 0)) })
            quotas = Dictionary(uniqueKeysWithValues: BillableMetric.allCases.map { ($0.rawValue, plan.quotas[$0.rawValue]) })
            unit_prices_cents = Dictionary(uniqueKeysWithValues: BillableMetric.allCases.map { ($0.rawValue, plan.unitPricesCents[$0.rawValue] ?? 0) })
        }
    }
}
