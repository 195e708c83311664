import Foundation
import Postgres

/// The periodic rollup: monthly totals from the hourly counters, and bills for the months
/// that ended. Totals are recomputed, not added to, and a closed period is written once, so
/// running it again (or twice at once) changes nothing.
public struct UsageRollup: Sendable {
    /// A month is closed this long after it ends, so requests still in flight at midnight
    /// are counted in it.
    public static let closingGrace: TimeInterval = 300

    public let billing: BillingStore

    public init(billing: BillingStore) {
        self.billing = billing
    }

    /// What one run changed.
    public struct Summary: Sendable, Equatable {
        public var monthlyTotalsChanged: Int
        public var periodsClosed: Int
        /// Users whose list of used-up hard quotas changed.
        public var quotasChanged: Int
    }

    /// Rolls up the current and the previous month and closes the previous month once it
    /// is over (up to `batch` users per run; the next run goes on).
    public func run(now: Date = Date(), batch: Int = 500, on connection: PostgresConnection) throws -> Summary {
        let current = BillingPeriod(containing: now)
        let previous = current.previous
        let changed = try connection.query("""
            INSERT INTO usage_monthly AS m (user_id, metric, month, quantity)
            SELECT user_id, metric, date_trunc('month', hour, 'UTC'), sum(quantity)::bigint FROM usage_hourly
            WHERE hour >= \(previous.start) AND hour < \(current.end)
            GROUP BY 1, 2, 3
            ON CONFLICT (user_id, metric, month) DO UPDATE SET quantity = excluded.quantity, updated_at = now()
            WHERE m.quantity IS DISTINCT FROM excluded.quantity
            """).affectedRows
        var closed = 0
        if now.timeIntervalSince(previous.end) >= Self.closingGrace {
            closed = try close(previous, batch: batch, on: connection)
        }
        let quotas = try refreshHardQuotas(current, on: connection)
        return Summary(monthlyTotalsChanged: changed, periodsClosed: closed, quotasChanged: quotas)
    }

    /// Lists, per user, the metrics whose hard quota (a quota the plan sets no price for)
    /// is used up in `period`, so admission can refuse what would use more; a user newly
    /// over a quota gets a `usage.limit_reached` event. A new period clears the lists.
    func refreshHardQuotas(_ period: BillingPeriod, on connection: PostgresConnection) throws -> Int {
        let searches = BillableMetric.searches, stored = BillableMetric.storedBytes, refused = UsageMetric.refusedSearches
        // Stored bytes count over all time (what is stored now), the rest within the period.
        let countedInPeriod = BillableMetric.allCases.filter { $0 != stored }.map(\.counter.name) + [refused.name]
        let rows = try connection.query("""
            WITH used AS (
                SELECT user_id, CASE WHEN metric IN (\(searches.counter), \(refused)) THEN \(searches.rawValue) ELSE metric END AS metric,
                       sum(CASE WHEN metric = \(refused) THEN -quantity ELSE quantity END)::bigint AS quantity
                FROM usage_hourly
                WHERE hour >= \(period.start) AND hour < \(period.end) AND metric = ANY(\(countedInPeriod)::text[])
                GROUP BY 1, 2
                UNION ALL
                SELECT user_id, \(stored.rawValue), sum(quantity)::bigint FROM usage_hourly WHERE metric = \(stored.counter) GROUP BY 1
            ), over AS (
                SELECT used.user_id, array_agg(used.metric ORDER BY used.metric) AS metrics
                FROM used JOIN users u ON u.id = used.user_id JOIN plans p ON p.name = u.plan
                WHERE p.quotas ? used.metric AND NOT p.unit_prices ? used.metric
                  AND used.quantity >= (p.quotas ->> used.metric)::bigint
                GROUP BY 1
            ), target AS (
                SELECT user_id, metrics FROM over
                UNION ALL
                SELECT id, '{}'::text[] FROM users WHERE quota_exceeded <> '{}' AND id NOT IN (SELECT user_id FROM over)
            )
            UPDATE users u SET quota_exceeded = target.metrics
            FROM target WHERE u.id = target.user_id AND u.quota_exceeded IS DISTINCT FROM target.metrics
            RETURNING u.id, u.plan, old.quota_exceeded AS before, new.quota_exceeded AS after
            """).rows
        for row in rows {
            let before = Set(try row.decode("before", as: [String].self))
            let userID: String = try row.decode("id")
            for metric in try row.decode("after", as: [String].self) where !before.contains(metric) {
                try WebhookEvents.emit(.usageLimitReached, userID: userID, data: [
                    "quota": metric, "plan": try row.decode("plan", as: String.self), "period_end": Int(period.end.timeIntervalSince1970),
                ], on: connection)
            }
        }
        return rows.count
    }

    /// Writes the bill of every user with usage in `period` who has none yet.
    func close(_ period: BillingPeriod, batch: Int, on connection: PostgresConnection) throws -> Int {
        let users: [String] = try connection.query("""
            SELECT DISTINCT m.user_id FROM usage_monthly m
            WHERE m.month = \(period.start)
              AND NOT EXISTS (SELECT 1 FROM billing_periods b WHERE b.user_id = m.user_id AND b.period_start = \(period.start))
            ORDER BY m.user_id LIMIT \(batch)
            """).rows.map { try $0.decode("user_id") }
        var closed = 0
        for userID in users {
            let plan = try billing.plan(userID: userID, on: connection)
            let usage = try billing.usage(userID: userID, from: period.start, to: period.end, on: connection)
            let lines = BillingLine.lines(usage: usage, plan: plan)
            closed += try connection.query("""
                INSERT INTO billing_periods (user_id, period_start, period_end, plan, line_items, base_price_cents, total_cents)
                VALUES (\(userID), \(period.start), \(period.end), \(plan.name), \(PostgresJSON(text: Self.json(lines))),
                        \(plan.monthlyPriceCents), \(BillingLine.totalCents(lines, plan: plan)))
                ON CONFLICT (user_id, period_start) DO NOTHING
                """).affectedRows
        }
        return closed
    }

    static func json(_ lines: [BillingLine]) -> String {
        let objects: [[String: Any]] = lines.map { line in
            ["metric": line.metric, "quantity": line.quantity, "included": line.included.map { $0 as Any } ?? NSNull(),
             "overage": line.overage, "unit_price_cents": line.unitPriceCents, "amount_cents": line.amountCents]
        }
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
