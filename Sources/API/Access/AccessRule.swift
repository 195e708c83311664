import Auth
import Core
import HTTPTypes

/// What a route demands of its caller, declared where the route is registered
/// (`ProtectedRoutes`): the scopes a token needs, the rate-limit class the request counts in
/// and the hard quotas that refuse it once used up. Because it belongs to the matched route,
/// no spelling of the path (a trailing or doubled slash) can move a request to another class.
struct AccessRule: Sendable {
    /// Scopes a caller needs: every one of `all`, and at least one of `any` when it is not empty.
    var all: Set<Scope>
    var any: Set<Scope> = []
    var kind: RateLimitClass = .standard
    /// Billable metrics whose used-up hard quota refuses the request with 429.
    var quotas: [BillableMetric] = []
    /// The spec answers a disabled user with 402 on the documents view, 403 elsewhere.
    var disabledStatus: HTTPResponse.Status = .forbidden

    static let paymentRequired = HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")

    /// A route for callers holding every one of `scopes`, counted in `kind`, refused once
    /// one of the class's quotas or `quotas` is used up.
    static func needs(_ scopes: Scope..., class kind: RateLimitClass = .standard, quotas: [BillableMetric] = []) -> AccessRule {
        AccessRule(all: Set(scopes), kind: kind, quotas: kind.quotaMetrics + quotas)
    }

    /// A route for callers holding at least one of `scopes`.
    static func needsAny(of scopes: Scope..., class kind: RateLimitClass = .standard) -> AccessRule {
        AccessRule(all: [], any: Set(scopes), kind: kind, quotas: kind.quotaMetrics)
    }

    /// The same rule answering a disabled user with `status`.
    func disabledAnswer(_ status: HTTPResponse.Status) -> AccessRule {
        var rule = self
        rule.disabledStatus = status
        return rule
    }

    /// The first scope the caller lacks (for the 403 message), nil when it may call the route.
    func missingScope(of identity: Identity) -> String? {
        if let missing = all.sorted(by: { $0.rawValue < $1.rawValue }).first(where: { !identity.has($0) }) {
            return missing.rawValue
        }
        if !any.isEmpty, !any.contains(where: identity.has) {
            return any.map(\.rawValue).sorted().joined(separator: " or ")
        }
        return nil
    }
}

extension RateLimitClass {
    /// Hard quotas every request of the class is refused by: searches refuse searches; AI
    /// operations and LLM tokens refuse AI requests.
    var quotaMetrics: [BillableMetric] {
        switch self {
        case .search: [.searches]
        case .ai: [.aiOperations, .llmTokens]
        case .standard, .batch: []
        }
    }
}
