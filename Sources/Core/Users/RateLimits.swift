import Settings
import Foundation
import Postgres

/// The spec's four classes of endpoint, each with its own hourly limit.
public enum RateLimitClass: String, Sendable, CaseIterable {
    case standard, search, batch, ai

    /// The usage metric the class's requests are counted in: `requests.<class>`.
    public var requestsMetric: UsageMetric { .requests(self) }

    /// Requests of each class in `usage` (metric name → quantity), by class name.
    public static func requests(in usage: [String: Int]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, usage[$0.requestsMetric.name] ?? 0) })
    }
}

/// Per-hour limits of the default plan from `RATE_LIMITS` (`standard=1000,search=300,…`);
/// classes not named keep the plan's value.
public struct RateLimitOverrides: Sendable, Equatable {
    public var limits: [RateLimitClass: Int]

    public init(limits: [RateLimitClass: Int] = [:]) {
        self.limits = limits
    }

    public init(environment: [String: String]) throws {
        var limits = [RateLimitClass: Int]()
        for entry in (environment["RATE_LIMITS"] ?? "").split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let kind = RateLimitClass(rawValue: parts[0]), let limit = Int(parts[1]), limit > 0 else {
                throw ConfigurationError("RATE_LIMITS: bad entry \"\(entry)\"; expected standard=1000,search=300,batch=100,ai=60")
            }
            limits[kind] = limit
        }
        self.limits = limits
    }
}

/// The state of one user's limit after counting a request.
public struct RateLimitState: Sendable, Equatable {
    public var limit: Int
    public var used: Int
    /// When the current window ends.
    public var reset: Date
    public var disabled: Bool
    /// Billable metrics (`BillableMetric` names) whose hard quota the user has used up this
    /// period (see `UsageRollup`).
    public var quotaExceeded: [String] = []

    public var remaining: Int { max(0, limit - used) }
    public var exceeded: Bool { used > limit }
}

/// One counted request to take back: its user, metric (`requests.<class>`) and hour.
public struct UsageRefund: Sendable, Equatable {
    public var userID: String
    public var metric: UsageMetric
    public var hour: Date

    public init(userID: String, metric: UsageMetric, hour: Date) {
        self.userID = userID
        self.metric = metric
        self.hour = hour
    }
}

extension UserStore {
    /// The default plan (`free`) is the one `RATE_LIMITS` overrides.
    static let defaultPlan = "free"

    /// In one statement: records that the user made a request (creating them on first use),
    /// counts it in their hourly usage of its class, and returns the class's limit for their
    /// plan, what is used, when the window resets, and whether the user is disabled. Held in
    /// PostgreSQL, so the limit holds across any number of API processes.
    public func admit(
        userID: String, organizationID: String?, class kind: RateLimitClass, overrides: RateLimitOverrides,
        on connection: PostgresConnection
    ) throws -> RateLimitState {
        // A new user's first requests can race: the loser's statement waits for the winner's
        // insert but its snapshot predates it, so it finds no user. The next statement sees it.
        for _ in 0..<2 {
            if let state = try admitOnce(userID: userID, organizationID: organizationID, class: kind, overrides: overrides, on: connection) {
                if state.used == state.limit + 1 {
                    // The first refused request of the window; the event is written right after
                    // the count (a crash between the two would lose this one notice).
                    // Best effort: the refusal must not turn into a 500 because of its notice.
                    _ = try? WebhookEvents.emit(.usageLimitReached, userID: userID, data: [
                        "class": kind.rawValue, "limit": state.limit, "reset": Int(state.reset.timeIntervalSince1970),
                    ], on: connection)
                }
                return state
            }
        }
        throw PostgresError(kind: .server, message: "the user record of a request could not be read; retry")
    }

    private func admitOnce(
        userID: String, organizationID: String?, class kind: RateLimitClass, overrides: RateLimitOverrides,
        on connection: PostgresConnection
    ) throws -> RateLimitState? {
        let column = "\(kind.rawValue)_per_hour"
        // Prepared: planning this statement costs several times more than running it.
        let row = try connection.query("""
            WITH created AS (
                -- DO NOTHING: an existing user's row is not locked (DO UPDATE would lock it on
                -- every request, even when it changes nothing).
                INSERT INTO users (id, organization_id) VALUES (\(userID), \(organizationID))
                ON CONFLICT (id) DO NOTHING
                RETURNING plan, false AS disabled, quota_exceeded
            ), account AS (
                SELECT plan, disabled, quota_exceeded FROM created
                UNION ALL SELECT plan, disabled_at IS NOT NULL, quota_exceeded FROM users WHERE id = \(userID) AND NOT EXISTS (SELECT 1 FROM created)
            ), seen AS (
                UPDATE users SET last_seen_at = now() WHERE id = \(userID) AND last_seen_at < now() - interval '60 seconds'
                RETURNING 1
            ), counted AS (
                -- FROM account: a statement that could not see its user counts nothing (it is retried).
                INSERT INTO usage_hourly (user_id, metric, hour, quantity)
                SELECT \(userID), \(kind.requestsMetric), date_trunc('hour', now()), 1 FROM account
                ON CONFLICT (user_id, metric, hour) DO UPDATE SET quantity = usage_hourly.quantity + 1
                RETURNING quantity
            )
            SELECT account.disabled, account.quota_exceeded, counted.quantity AS used,
                   CASE WHEN account.plan = \(Self.defaultPlan) AND \(overrides.limits[kind])::integer IS NOT NULL
                        THEN \(overrides.limits[kind]) ELSE coalesce(p.\(unsafeRaw: column), d.\(unsafeRaw: column)) END AS limit_per_hour,
                   date_trunc('hour', now()) + interval '1 hour' AS reset
            FROM account CROSS JOIN counted
            LEFT JOIN plans p ON p.name = account.plan
            LEFT JOIN plans d ON d.name = \(Self.defaultPlan)
            """, preparedAs: "context0_admit_\(kind.rawValue)").first
        guard let row else { return nil }
        return RateLimitState(
            limit: try row.decode("limit_per_hour"), used: try row.decode("used"),
            reset: try row.decode("reset"), disabled: try row.decode("disabled"), quotaExceeded: try row.decode("quota_exceeded"))
    }

    /// Without metering: records that the user made a request (creating them on first use)
    /// and says whether they are disabled; counts nothing.
    public func arrive(userID: String, organizationID: String?, on connection: PostgresConnection) throws -> Bool {
        try connection.query("""
            WITH created AS (
                INSERT INTO users (id, organization_id) VALUES (\(userID), \(organizationID))
                ON CONFLICT (id) DO NOTHING RETURNING false AS disabled
            )
            SELECT disabled FROM created
            UNION ALL SELECT disabled_at IS NOT NULL FROM users WHERE id = \(userID)
            """).first?.decode("disabled") ?? false
    }

    /// Takes counted requests back (see the API's `RequestRefunds`), never below zero.
    public func refund(_ refunds: [UsageRefund], on connection: PostgresConnection) throws {
        guard !refunds.isEmpty else { return }
        try connection.query("""
            UPDATE usage_hourly u SET quantity = greatest(0, u.quantity - r.n)
            FROM (SELECT user_id, metric, hour, count(*)::integer AS n
                  FROM unnest(\(refunds.map(\.userID))::text[], \(refunds.map(\.metric.name))::text[], \(refunds.map(\.hour))::timestamptz[])
                      AS t (user_id, metric, hour)
                  GROUP BY user_id, metric, hour) r
            WHERE u.user_id = r.user_id AND u.metric = r.metric AND u.hour = r.hour
            """)
    }

    /// Adds to a user's metered usage of `metric` this hour, in the caller's transaction.
    public func meter(userID: String, metric: UsageMetric, quantity: Int, on connection: PostgresConnection) throws {
        guard quantity != 0 else { return }
        try connection.query("""
            INSERT INTO usage_hourly (user_id, metric, hour, quantity) VALUES (\(userID), \(metric), date_trunc('hour', now()), \(quantity))
            ON CONFLICT (user_id, metric, hour) DO UPDATE SET quantity = usage_hourly.quantity + excluded.quantity
            """)
    }

    /// Sets a user's plan; false if there is no such user or plan.
    public func setPlan(_ plan: String, userID: String, on connection: PostgresConnection) throws -> Bool {
        try connection.query("""
            UPDATE users SET plan = \(plan) WHERE id = \(userID) AND EXISTS (SELECT 1 FROM plans WHERE name = \(plan))
            """).affectedRows == 1
    }
}
