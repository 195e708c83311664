import Foundation
import Postgres

/// Plans, metered usage by period, and closed billing periods of a user.
public struct BillingStore: Sendable {
    public let overrides: RateLimitOverrides

    public init(overrides: RateLimitOverrides) {
        self.overrides = overrides
    }

    /// The user's plan (the default plan for a user not seen yet).
    public func plan(userID: String, on connection: PostgresConnection) throws -> Plan {
        let row = try connection.query("""
            SELECT p.* FROM plans p
            WHERE p.name = coalesce((SELECT plan FROM users WHERE id = \(userID)), \(UserStore.defaultPlan))
            """).first
        guard let row else { throw PostgresError(kind: .server, message: "the user's plan is missing from the plans table") }
        return try Plan(row: row, overrides: overrides)
    }

    /// What the user used in `[from, to)`, by usage counter (`requests.standard`, …,
    /// `ai_operations`, …) and by billable metric (`searches`, …); `stored_bytes` is what was
    /// stored at `to`. Read from the hourly counters, so it includes this very minute.
    public func usage(userID: String, from: Date, to: Date, on connection: PostgresConnection) throws -> [String: Int] {
        var usage = [String: Int]()
        for row in try connection.query("""
            SELECT metric, sum(quantity)::bigint AS quantity FROM usage_hourly
            WHERE user_id = \(userID) AND hour >= \(from) AND hour < \(to) AND metric <> \(UsageMetric.storedBytes)
            GROUP BY metric
            UNION ALL
            SELECT \(UsageMetric.storedBytes), coalesce(sum(quantity), 0)::bigint FROM usage_hourly
            WHERE user_id = \(userID) AND metric = \(UsageMetric.storedBytes) AND hour < \(to)
            """).rows {
            usage[try row.decode("metric")] = try row.decode("quantity")
        }
        for metric in BillableMetric.allCases {
            usage[metric.rawValue] = usage[metric.counter.name] ?? 0
        }
        // Searches refused by a limit or quota were counted as requests, but are not billed.
        usage[BillableMetric.searches.rawValue, default: 0] -= usage[UsageMetric.refusedSearches.name] ?? 0
        return usage
    }

    /// Closed periods, newest first, and how many there are.
    public func history(userID: String, limit: Int, skip: Int, on connection: PostgresConnection) throws -> (periods: [ClosedBillingPeriod], total: Int) {
        let total: Int = try connection.query("SELECT count(*)::bigint AS n FROM billing_periods WHERE user_id = \(userID)").first!.decode("n")
        let periods = try connection.query("""
            SELECT period_start, period_end, plan, line_items, base_price_cents, total_cents, closed_at FROM billing_periods
            WHERE user_id = \(userID) ORDER BY period_start DESC LIMIT \(limit) OFFSET \(skip)
            """).rows.map { row in
            ClosedBillingPeriod(
                period: BillingPeriod(containing: try row.decode("period_start")), plan: try row.decode("plan"),
                lineItems: try row.decode("line_items", as: PostgresJSON.self).text,
                basePriceCents: try row.decode("base_price_cents"), totalCents: try row.decode("total_cents"),
                closedAt: try row.decode("closed_at"))
        }
        return (periods, total)
    }
}
