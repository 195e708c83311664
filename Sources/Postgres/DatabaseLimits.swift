import Settings

/// The time limits of one process's database sessions and pool, read from the environment
/// with a prefix (`DATABASE_…` for the API, `WORKER_DATABASE_…` for workers), so the two can
/// be set apart in one environment. Every value is in milliseconds:
///
/// - `<prefix>STATEMENT_TIMEOUT_MS`: `statement_timeout`, the longest one statement may run;
/// - `<prefix>LOCK_TIMEOUT_MS`: `lock_timeout`, the longest a statement waits for a lock;
/// - `<prefix>IDLE_IN_TRANSACTION_TIMEOUT_MS`: `idle_in_transaction_session_timeout`, after
///   which the server ends a session that holds a transaction open doing nothing;
/// - `<prefix>CONNECT_TIMEOUT_MS`: the longest a connection attempt waits (libpq counts whole
///   seconds, at least 2);
/// - `<prefix>ACQUIRE_TIMEOUT_MS`: the longest a caller waits for a free connection of the pool;
/// - `<prefix>FAIL_FAST_MS`: after a connection failure, how long calls fail at once before
///   one tries again (`OutageGate`); 0 turns it off.
///
/// Connections also use TCP keep-alives, so a server that vanished without closing its
/// sockets is noticed within about a minute rather than the kernel's two hours.
public struct DatabaseLimits: Sendable, Equatable {
    public var statementTimeout: Duration
    public var lockTimeout: Duration
    public var idleInTransactionTimeout: Duration
    public var connectTimeout: Duration
    public var acquireTimeout: Duration
    public var failFast: Duration

    /// The API's: requests are short and a caller waits for each.
    public static let api = DatabaseLimits(
        statementTimeout: .seconds(30), lockTimeout: .seconds(10), idleInTransactionTimeout: .seconds(60),
        connectTimeout: .seconds(2), acquireTimeout: .seconds(5), failFast: .seconds(1))
    /// The workers': jobs may run longer statements, and nobody waits at the other end.
    public static let worker = DatabaseLimits(
        statementTimeout: .seconds(300), lockTimeout: .seconds(30), idleInTransactionTimeout: .seconds(300),
        connectTimeout: .seconds(5), acquireTimeout: .seconds(60), failFast: .seconds(1))

    public init(
        statementTimeout: Duration, lockTimeout: Duration, idleInTransactionTimeout: Duration,
        connectTimeout: Duration, acquireTimeout: Duration, failFast: Duration
    ) {
        self.statementTimeout = statementTimeout
        self.lockTimeout = lockTimeout
        self.idleInTransactionTimeout = idleInTransactionTimeout
        self.connectTimeout = connectTimeout
        self.acquireTimeout = acquireTimeout
        self.failFast = failFast
    }

    /// `defaults`, with what the environment sets under `prefix` (e.g. `"DATABASE_"`).
    public init(environment: [String: String], prefix: String, defaults: DatabaseLimits) throws {
        func milliseconds(_ name: String, _ value: Duration, allowsZero: Bool = false) throws -> Duration {
            let key = prefix + name
            guard let text = environment[key], !text.isEmpty else { return value }
            guard let number = Int(text), number >= (allowsZero ? 0 : 1), number <= 86_400_000 else {
                throw ConfigurationError("\(key) must be a whole number of milliseconds from \(allowsZero ? 0 : 1) to 86400000")
            }
            return .milliseconds(number)
        }
        statementTimeout = try milliseconds("STATEMENT_TIMEOUT_MS", defaults.statementTimeout)
        lockTimeout = try milliseconds("LOCK_TIMEOUT_MS", defaults.lockTimeout)
        idleInTransactionTimeout = try milliseconds("IDLE_IN_TRANSACTION_TIMEOUT_MS", defaults.idleInTransactionTimeout)
        connectTimeout = try milliseconds("CONNECT_TIMEOUT_MS", defaults.connectTimeout)
        acquireTimeout = try milliseconds("ACQUIRE_TIMEOUT_MS", defaults.acquireTimeout)
        failFast = try milliseconds("FAIL_FAST_MS", defaults.failFast, allowsZero: true)
    }

    /// The server settings of every session.
    public var sessionSettings: [String: String] {
        [
            "statement_timeout": String(Self.milliseconds(statementTimeout)),
            "lock_timeout": String(Self.milliseconds(lockTimeout)),
            "idle_in_transaction_session_timeout": String(Self.milliseconds(idleInTransactionTimeout)),
        ]
    }

    /// libpq's `connect_timeout`: whole seconds, and it treats 1 as 2.
    public var connectTimeoutSeconds: Int {
        max(2, Int((Self.milliseconds(connectTimeout) + 999) / 1000))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
