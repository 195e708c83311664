import NIOPosix
import Postgres

/// Runs blocking work (libpq, waiting for a process) on NIO's thread pool for blocking
/// calls, so it never holds one of Swift's cooperative threads: there are only as many of
/// those as cores (two on CI), and one blocked there stalls every other test's timers and I/O.
@discardableResult
public func runBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
}

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
