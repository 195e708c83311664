import Auth
import Core
import Foundation
import HTTPTypes
import Hummingbird
import Postgres

/// Counts a request against its caller's hourly limit for the route's class and checks the
/// route's hard quotas: one statement on a pool whose sessions commit without waiting for
/// the disk (see `buildApplication`). With `METERING=off` it only makes sure the user exists
/// and is not disabled.
struct Admission: Sendable {
    let pool: PostgresPool
    let rateLimits: RateLimitOverrides
    let metering: Bool
    /// Where requests the server failed are taken back.
    let refunds: RequestRefunds
    let users = UserStore()

    /// What admission decided: the limit state for the `X-RateLimit-*` headers (none when
    /// unmetered) and, when the request may not go on, why.
    struct Decision: Sendable {
        var state: RateLimitState?
        var refusal: APIError?
    }

    func admit(_ identity: Identity, _ rule: AccessRule) async throws -> Decision {
        guard metering else {
            let disabled = try await pool.withConnection { [users] in
                try users.arrive(userID: identity.userID, organizationID: identity.organizationID, on: $0)
            }
            return Decision(state: nil, refusal: disabled ? Self.disabled(rule) : nil)
        }
        let state = try await pool.withConnection { [users, rateLimits] in
            try users.admit(userID: identity.userID, organizationID: identity.organizationID, class: rule.kind, overrides: rateLimits, on: $0)
        }
        if state.disabled { return Decision(state: state, refusal: Self.disabled(rule)) }
        if state.exceeded {
            try await recordRefusal(identity, rule)
            return Decision(state: state, refusal: APIError(
                status: .tooManyRequests, code: .rateLimitExceeded,
                message: "rate limit of \(state.limit) \(rule.kind.rawValue) requests per hour exceeded",
                retryAfter: Int(state.reset.timeIntervalSinceNow.rounded(.up))))
        }
        if let metric = rule.quotas.first(where: { state.quotaExceeded.contains($0.rawValue) }) {
            try await recordRefusal(identity, rule)
            return Decision(state: state, refusal: APIError(
                status: .tooManyRequests, code: .quotaExceeded,
                message: "this period's quota of \(metric.rawValue) is used up; it renews at the start of next month, or change the plan",
                retryAfter: Int(BillingPeriod(containing: Date()).end.timeIntervalSinceNow.rounded(.up))))
        }
        return Decision(state: state, refusal: nil)
    }

    /// Takes back a counted request whose answer was a server error (5xx).
    func refundIfFailed(_ status: HTTPResponse.Status, _ identity: Identity, _ rule: AccessRule, _ decision: Decision) {
        guard let state = decision.state, decision.refusal == nil, status.code >= 500 else { return }
        refunds.refund(userID: identity.userID, kind: rule.kind, windowEnd: state.reset)
    }

    /// A refused search is not billed as one.
    private func recordRefusal(_ identity: Identity, _ rule: AccessRule) async throws {
        guard rule.kind == .search else { return }
        try await pool.withConnection { [users] in
            try users.meter(userID: identity.userID, metric: .refusedSearches, quantity: 1, on: $0)
        }
    }

    static func disabled(_ rule: AccessRule) -> APIError {
        APIError(status: rule.disabledStatus, code: .userDisabled, message: "this user is disabled")
    }
}
