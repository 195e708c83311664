import Synchronization

/// One pooled connection kept across suspensions (`PostgresPool.session()`), for work that holds a transaction open
/// while it awaits other things (a worker's claim lease holds its row locks while the
/// jobs run). Statements run on the pool's threads, one `run` at a time.
///
/// A pooled connection found broken before first use is replaced; one that breaks later is
/// not (the transaction it held is gone): the session then fails every `run`.
public final class PostgresSession: Sendable {
    private let pool: PostgresPool
    private let state: Mutex<State>

    private enum State {
        /// Not used yet: a pooled connection found broken is replaced.
        case fresh(PostgresConnection?)
        case open(PostgresConnection)
        /// The connection broke after use: whatever transaction it held is gone, and a new
        /// connection would not bring it back, so every later `run` fails.
        case broken
    }

    init(pool: PostgresPool, connection: PostgresConnection?) {
        self.pool = pool
        state = Mutex(.fresh(connection))
    }

    /// Runs `body` on the session's connection, on a pool thread.
    public func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let configuration = pool.configuration
        return try await pool.threads.runIfActive { [self] in
            let current = try state.withLock { state -> PostgresConnection in
                switch state {
                case .fresh(let pooled):
                    let usable = try PostgresPool.usable(pooled.map { .existing($0) } ?? .new, configuration: configuration)
                    state = .open(usable)
                    return usable
                case .open(let connection):
                    return connection
                case .broken:
                    throw PostgresError(kind: .connection, message: "the session's connection broke")
                }
            }
            do {
                return try body(current)
            } catch let error as PostgresError where error.isConnectionFailure {
                state.withLock { $0 = .broken }
                current.close()
                throw error
            }
        }
    }

    /// Gives the connection back to the pool (closed instead if it broke or is still in a
    /// transaction). The session must not be used afterwards.
    public func release() {
        let current = state.withLock { state -> PostgresConnection? in
            defer { state = .broken }
            switch state {
            case .fresh(let connection): return connection
            case .open(let connection): return connection
            case .broken: return nil
            }
        }
        pool.release(current, broken: current.map { !$0.isHealthy || $0.isInTransaction } ?? true)
    }
}

extension PostgresPool {
    /// Takes a connection out of the pool until `release()`: for work that keeps a
    /// transaction open across suspensions. Waits like `withConnection` when all are in use.
    public func session() async throws -> PostgresSession {
        let lease = try await acquire()
        let initial: PostgresConnection? = if case .existing(let connection) = lease { connection } else { nil }
        return PostgresSession(pool: self, connection: initial)
    }
}
