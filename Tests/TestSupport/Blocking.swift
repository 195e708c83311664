import NIOPosix
import Postgres

/// Runs blocking work (libpq, waiting for a process) on a thread pool of the tests' own, so
/// it never holds one of Swift's cooperative threads: there are only as many of those as
/// cores (two on CI), and one blocked there stalls every other test's timers and I/O. The
/// pool is not NIO's shared one, which has as few threads and which the in-process API uses
/// for its own offloaded work. The work runs even when the calling task is cancelled (a test
/// past its time limit still drops its database).
@discardableResult
public func runBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await blockingThreads.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.any(), work).get()
}

/// Enough threads for every test that waits on something at once (a LISTEN, a lock, curl).
private let blockingThreads: NIOThreadPool = {
    let pool = NIOThreadPool(numberOfThreads: 16)
    pool.start()
    return pool
}()

extension PostgresConnection {
    /// Connects on a thread made for blocking calls.
    public static func open(url: String, applicationName: String = "context0-test") async throws -> PostgresConnection {
        try await runBlocking { try PostgresConnection(url: url, applicationName: applicationName) }
    }

    /// `query` on a thread made for blocking calls.
    @discardableResult
    public func run(_ query: PostgresQuery) async throws -> PostgresResult {
        try await runBlocking { try self.query(query) }
    }
}
