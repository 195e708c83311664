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
    private let state = Mutex(PoolState())
    private let outage: OutageGate?
    private let logger: Logger

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
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        guard let outage else { return try await leased(body) }
        let admission = try outage.admit()
        do {
            let value = try await leased(body)
            outage.succeeded()
            return value
        } catch let error as PostgresError where error.isConnectionFailure {
            outage.failed()
            throw error
        } catch let error as PostgresError where error.kind == .unavailable || error.kind == .poolClosed {
            if case .probe = admission { outage.abandonProbe() }
            throw error
        } catch {
            // The server answered, if only with an error.
            outage.succeeded()
            throw error
        }
    }

    private func leased<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let lease = try await acquire()
        let configuration = self.configuration
        return try await threads.runIfActive { [self] in
            var connection: PostgresConnection?
            do {
                connection = try Self.usable(lease, configuration: configuration)
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
        waiters.forEach { $0.continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "pool is closed")) }
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

extension PostgresPool {
    enum Lease: @unchecked Sendable {
        case existing(PostgresConnection)
        /// Permission to open a new connection (a slot is counted for it).
        case new
    }

    struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Lease, Error>
    }

    struct PoolState: ~Copyable {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var closed = false
    }

    func acquire() async throws -> Lease {
        try await withCheckedThrowingContinuation { continuation in
            let lease: Result<Lease, Error>? = state.withLock { state in
                if state.closed { return .failure(PostgresError(kind: .poolClosed, message: "pool is closed")) }
                if let connection = state.idle.popLast() { return .success(.existing(connection)) }
                if state.open < configuration.maxConnections {
                    state.open += 1
                    return .success(.new)
                }
                let id = state.nextWaiterID
                state.nextWaiterID += 1
                state.waiters.append(Waiter(id: id, continuation: continuation))
                if let timeout = configuration.acquireTimeout {
                    Task { [self] in
                        try? await Task.sleep(for: timeout)
                        giveUp(waiter: id, after: timeout)
                    }
                }
                return nil
            }
            if let lease { continuation.resume(with: lease) }
        }
    }

    /// Fails a caller still waiting for a connection after `timeout`.
    private func giveUp(waiter id: Int, after timeout: Duration) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: PostgresError(
            kind: .unavailable, message: "no database connection was free within \(timeout) (all \(configuration.maxConnections) busy)"))
    }

    /// Returns a connection (or, if it broke, its slot) to the pool or to the first waiter.
    func release(_ connection: PostgresConnection?, broken: Bool) {
        let keep = broken ? nil : connection
        if broken { connection?.close() }
        let (waiter, closeIt): (CheckedContinuation<Lease, Error>?, Bool) = state.withLock { state in
            if !state.waiters.isEmpty { return (state.waiters.removeFirst().continuation, false) }
            if state.closed || keep == nil {
                state.open -= 1
                return (nil, state.closed)
            }
            state.idle.append(keep!)
            return (nil, false)
        }
        if let waiter {
            waiter.resume(returning: keep.map { .existing($0) } ?? .new)
        } else if closeIt {
            keep?.close()
        }
    }
}
