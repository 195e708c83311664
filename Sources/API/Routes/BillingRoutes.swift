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
    @Sendable func usage(_ request: Request, context: Context0RequestContext) async throws -> Envelope<BillingViews.Usage> {
        let caller = try context.caller()
        let period = BillingPeriod(containing: Date())
        let (plan, usage) = try await pool.withConnection { [billing] connection in
            (try billing.plan(userID: caller.userID, on: connection),
             try billing.usage(userID: caller.userID, from: period.start, to: period.end, on: connection))
        }
        return Envelope("usage for the current period", BillingViews.Usage(plan: plan, period: period, usage: usage))
    }

    /// Closed periods with their line items, newest first.
    @Sendable func history(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Paged<BillingViews.ClosedPeriod>> {
        let caller = try context.caller()
        let (limit, skip) = try Paged<Never>.window(request)
        let (periods, total) = try await pool.withConnection { [billing] in try billing.history(userID: caller.userID, limit: limit, skip: skip, on: $0) }
        return Envelope("\(total) closed periods", Paged(items: periods.map(BillingViews.ClosedPeriod.init), total: total, limit: limit, skip: skip))
    }

    /// The plan's rate limits, quotas and prices.
    @Sendable func limits(_ request: Request, context: Context0RequestContext) async throws -> Envelope<BillingViews.Limits> {
        let caller = try context.caller()
        let plan = try await pool.withConnection { [billing] in try billing.plan(userID: caller.userID, on: $0) }
        return Envelope("limits of the \(plan.name) plan", BillingViews.Limits(plan))
    }
}
