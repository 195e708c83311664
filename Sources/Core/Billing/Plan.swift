import Foundation
import Postgres

/// A plan's rate limits, monthly quotas and prices (the `plans` table).
public struct Plan: Sendable, Equatable {
    public var name: String
    /// Requests per hour, by class.
    public var rateLimits: [RateLimitClass: Int]
    public var monthlyPriceCents: Int
    /// Monthly quota by billable metric; a metric not named is unlimited.
    public var quotas: [String: Int]
    /// Cents per unit beyond the quota, by billable metric.
    public var unitPricesCents: [String: Double]

    init(row: PostgresRow, overrides: RateLimitOverrides) throws {
        name = try row.decode("name")
        var limits = [RateLimitClass: Int]()
        for kind in RateLimitClass.allCases {
            limits[kind] = try row.decode("\(kind.rawValue)_per_hour", as: Int.self)
            if name == UserStore.defaultPlan, let override = overrides.limits[kind] { limits[kind] = override }
        }
        rateLimits = limits
        monthlyPriceCents = try row.decode("monthly_price_cents")
        let quotaObject = try JSONSerialization.jsonObject(with: Data(try row.decode("quotas", as: PostgresJSON.self).text.utf8)) as? [String: Any] ?? [:]
        quotas = quotaObject.compactMapValues { ($0 as? NSNumber)?.intValue }
        let priceObject = try JSONSerialization.jsonObject(with: Data(try row.decode("unit_prices", as: PostgresJSON.self).text.utf8)) as? [String: Any] ?? [:]
        unitPricesCents = priceObject.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }
}

/// One line of a bill: a metric's use in a period against the plan's quota and price.
public struct BillingLine: Sendable, Equatable {
    public var metric: String
    public var quantity: Int
    /// The quota; nil is unlimited.
    public var included: Int?
    public var overage: Int
    public var unitPriceCents: Double
    /// `overage × unitPriceCents`, to a hundredth of a cent.
    public var amountCents: Double

    /// The lines of a bill for `usage` (by billable metric) under `plan`.
    public static func lines(usage: [String: Int], plan: Plan) -> [BillingLine] {
        BillableMetric.allCases.map(\.rawValue).map { metric in
            let quantity = max(0, usage[metric] ?? 0)
            let included = plan.quotas[metric]
            let overage = included.map { max(0, quantity - $0) } ?? 0
            let price = plan.unitPricesCents[metric] ?? 0
            return BillingLine(
                metric: metric, quantity: quantity, included: included, overage: overage, unitPriceCents: price,
                amountCents: (Double(overage) * price * 100).rounded() / 100)
        }
    }

    /// The plan's price plus every line, rounded to whole cents.
    public static func totalCents(_ lines: [BillingLine], plan: Plan) -> Int {
        plan.monthlyPriceCents + Int(lines.reduce(0) { $0 + $1.amountCents }.rounded())
    }
}
