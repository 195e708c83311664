import Synchronization

/// One pooled connection kept across suspensions (`PostgresPool.session()`), for work that holds a transaction open
/// while it awaits other things (a worker's claim lease holds its row locks while the
/// jobs run). Statements run on the pool's threads, one `run` at a time.
///
/// A connection that breaks is dropped; the next `run` opens a new one, so a session
/// outlives a server restart like the pool does. Whatever transaction was open is gone then.
public final class PostgresSession: Sendable {
    private let pool: PostgresPool
    private let connection: Mutex<PostgresConnection?>

    init(pool: PostgresPool, connection: PostgresConnection?) {
        self.pool = pool
        self.connection = Mutex(connection)
    }

    /// Runs `body` on the session's connection, on a pool thread.
    public func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let configuration = pool.configuration
        return try await pool.threads.runIfActive { [self] in
            let current = try connection.withLock { current in
                let usable = try PostgresPool.usable(current.map { .existing($0) } ?? .new, configuration: configuration)
                current = usable
                return usable
            }
            do {
                return try body(current)
            } catch let error as PostgresError where error.isConnectionFailure {
                connection.withLock { $0 = nil }
                current.close()
                throw error
            }
        }
    }

    /// Gives the connection back to the pool (closed instead if it broke or is still in a
    /// transaction). The session must not be used afterwards.
    public func release() {
        let current = connection.withLock { current in defer { current = nil }; return current }
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
