import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A pool of libpq connections for async code.
///
/// Work runs as a synchronous closure on one of the pool's own threads, with a connection
/// to itself: libpq blocks, and Swift's cooperative threads must never block. A closure is
/// also the natural shape of a transaction: all its statements, no suspension in between.
///
/// Broken connections are dropped and replaced on next use, so the pool recovers by itself
/// when the server restarts. As a `Service` it closes when the service group shuts down.
public final class PostgresPool: Service, Sendable {
    public struct Configuration: Sendable {
        public var url: String
        public var maxConnections: Int
        public var applicationName: String
        public var connectTimeoutSeconds: Int
        /// Server settings of every session, e.g. `["synchronous_commit": "off"]`.
        public var sessionSettings: [String: String]
        /// The longest a call waits for a free connection; nil waits as long as it takes.
        public var acquireTimeout: Duration?
        /// After a connection failure, how long calls fail at once (`OutageGate`); nil never.
        public var failFast: Duration?

        public init(
            url: String, maxConnections: Int = 10, applicationName: String = "context0", connectTimeoutSeconds: Int = 10,
            sessionSettings: [String: String] = [:], acquireTimeout: Duration? = nil, failFast: Duration? = nil
        ) {
            self.url = url
            self.maxConnections = max(1, maxConnections)
            self.applicationName = applicationName
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.sessionSettings = sessionSettings
            self.acquireTimeout = acquireTimeout
            self.failFast = failFast
        }

        /// A pool whose sessions and waits follow `limits`, with `sessionSettings` added.
        public init(
            url: String, maxConnections: Int, applicationName: String, limits: DatabaseLimits, sessionSettings: [String: String] = [:]
        ) {
            self.init(
                url: url, maxConnections: maxConnections, applicationName: applicationName,
                connectTimeoutSeconds: limits.connectTimeoutSeconds,
                sessionSettings: limits.sessionSettings.merging(sessionSettings) { $1 },
                acquireTimeout: limits.acquireTimeout, failFast: limits.failFast > .zero ? limits.failFast : nil)
        }
    }

    public let configuration: Configuration
    let threads: NIOThreadPool
    let state = Mutex(PoolState())
    let outage: OutageGate?
    let logger: Logger

    public init(configuration: Configuration, logger: Logger = Logger(label: "context0.postgres")) {
        self.configuration = configuration
        self.logger = logger
        outage = configuration.failFast.map { OutageGate(window: $0) }
        // One thread per connection: a leased connection never waits for a thread.
        threads = NIOThreadPool(numberOfThreads: configuration.maxConnections)
        threads.start()
    }

    /// True while calls fail at once because the server was unreachable moments ago.
    public var isFailingFast: Bool {
        outage?.isFailingFast() ?? false
    }

    /// Runs `body` with a connection of its own on a pool thread.
    ///
    /// Throws `PostgresError` of kind `.unavailable` at once while the server was unreachable
    /// moments ago (with `failFast`), and when no connection is free within `acquireTimeout`.
    /// The outage gate hears only of connecting: a connection made (or a live one reused)
    /// closes it, a connection that cannot be made opens it. A session that breaks while
    /// `body` runs (terminated, timed out idle in a transaction) is only dropped: the next
    /// connection attempt tells whether the server is gone.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let admission = try outage?.admit()
        let connected = ConnectOutcome()
        do {
            return try await leased(body, connected: connected)
        } catch {
            if let outage, let admission, !connected.wasReported {
                // Never got as far as connecting: timed out waiting for a slot, cancelled.
                if admission.isProbe { outage.abandonProbe() }
            }
            throw error
        }
    }

    private func leased<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T, connected: ConnectOutcome) async throws -> T {
        let lease = try await acquire()
        let configuration = self.configuration
        let outage = self.outage
        do {
            return try await threads.runIfActive { [self] in
                connected.markStarted()
                var connection: PostgresConnection?
                do {
                    let generation = outage?.generation ?? 0
                    do {
                        connection = try Self.usable(lease, configuration: configuration)
                        if let outage { outage.succeeded(); connected.report() }
                    } catch let error as PostgresError where error.isConnectionFailure {
                        if let outage { outage.failed(since: generation); connected.report() }
                        throw error
                    }
                    let value = try body(connection!)
                    // A body that left a transaction open must not hand it to the next user.
                    release(connection, broken: connection!.isInTransaction)
                    return value
                } catch let error as PostgresError where error.isConnectionFailure {
                    connection?.close()
                    release(nil, broken: true)
                    throw error
                } catch {
                    release(connection, broken: connection.map { !$0.isHealthy || $0.isInTransaction } ?? true)
                    throw error
                }
            }
        } catch {
            // Cancelled before a pool thread took the work: the slot was never used.
            if !connected.started {
                switch lease {
                case .existing(let connection): release(connection, broken: false)
                case .new: release(nil, broken: true)
                }
            }
            throw error
        }
    }

    /// Runs `body` inside a transaction on a connection of its own.
    public func withTransaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withConnection { connection in try connection.transaction(body) }
    }

    /// Runs one statement.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresResult {
        try await withConnection { connection in try connection.query(query) }
    }

    /// Waits for graceful shutdown, then closes.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Closes idle connections and the threads; later requests fail with `.poolClosed`.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        idle.forEach { $0.close() }
        waiters.forEach {
            $0.timer?.cancel()
            $0.continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "pool is closed"))
        }
        try? await threads.shutdownGracefully()
    }

    static func usable(_ lease: Lease, configuration: Configuration) throws -> PostgresConnection {
        if case .existing(let connection) = lease, connection.isHealthy { return connection }
        if case .existing(let connection) = lease { connection.close() }
        return try PostgresConnection(
            url: configuration.url,
            applicationName: configuration.applicationName,
            connectTimeout: configuration.connectTimeoutSeconds,
            sessionSettings: configuration.sessionSettings)
    }
}
