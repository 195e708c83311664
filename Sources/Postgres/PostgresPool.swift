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

        public init(
            url: String, maxConnections: Int = 10, applicationName: String = "context0", connectTimeoutSeconds: Int = 10,
            sessionSettings: [String: String] = [:]
        ) {
            self.url = url
            self.maxConnections = max(1, maxConnections)
            self.applicationName = applicationName
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.sessionSettings = sessionSettings
        }
    }

    public let configuration: Configuration
    let threads: NIOThreadPool
    private let state = Mutex(PoolState())
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger = Logger(label: "context0.postgres")) {
        self.configuration = configuration
        self.logger = logger
        // One thread per connection: a leased connection never waits for a thread.
        threads = NIOThreadPool(numberOfThreads: configuration.maxConnections)
        threads.start()
    }

    /// Runs `body` with a connection of its own on a pool thread.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
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
        waiters.forEach { $0.resume(throwing: PostgresError(kind: .poolClosed, message: "pool is closed")) }
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

    struct PoolState: ~Copyable {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [CheckedContinuation<Lease, Error>] = []
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
                state.waiters.append(continuation)
                return nil
            }
            if let lease { continuation.resume(with: lease) }
        }
    }

    /// Returns a connection (or, if it broke, its slot) to the pool or to the first waiter.
    func release(_ connection: PostgresConnection?, broken: Bool) {
        let keep = broken ? nil : connection
        if broken { connection?.close() }
        let (waiter, closeIt): (CheckedContinuation<Lease, Error>?, Bool) = state.withLock { state in
            if !state.waiters.isEmpty { return (state.waiters.removeFirst(), false) }
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
