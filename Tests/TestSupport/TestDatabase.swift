import Foundation
import Postgres

/// A database of its own for one test, created from scratch with every migration applied
/// and dropped afterwards, on the server `make test` started (or `DATABASE_URL`).
public struct TestDatabase: Sendable {
    public let name: String
    public let url: String

    /// The server's URL, as `make test` passes it.
    public static var serverURL: String {
        guard let url = DatabaseLocation.url(environment: ProcessInfo.processInfo.environment) else {
            fatalError("tests need PostgreSQL: run them with `make test`, or set DATABASE_URL")
        }
        return url
    }

    /// Runs `body` with a fresh, migrated database and a pool on it; drops it afterwards.
    public static func with<T: Sendable>(
        poolSize: Int = 8, _ body: @Sendable (TestDatabase, PostgresPool) async throws -> T
    ) async throws -> T {
        let database = try create()
        let pool = PostgresPool(configuration: .init(url: database.url, maxConnections: poolSize, applicationName: "context0-test"))
        do {
            let value = try await body(database, pool)
            await pool.close()
            try database.drop()
            return value
        } catch {
            await pool.close()
            try? database.drop()
            throw error
        }
    }

    /// Creates an empty database (no migrations) with a unique name.
    public static func createEmpty() throws -> TestDatabase {
        let name = "c0test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresConnection(url: serverURL)
        try admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE " + PostgresConnection.quoteIdentifier(name)))
        return TestDatabase(name: name, url: replacingDatabase(in: serverURL, with: name))
    }

    /// Creates a database with every migration applied.
    public static func create() throws -> TestDatabase {
        let database = try createEmpty()
        try Migrator(directory: ProjectPaths.root.appendingPathComponent("sql")).migrate(PostgresConnection(url: database.url))
        return database
    }

    public func drop() throws {
        let admin = try PostgresConnection(url: Self.serverURL)
        try admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS " + PostgresConnection.quoteIdentifier(name) + " WITH (FORCE)"))
    }

    static func replacingDatabase(in url: String, with name: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + name
        return components.string ?? url
    }
}

/// Paths of the checkout the tests run in.
public enum ProjectPaths {
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Where the executables are: `CONTEXT0_BIN_DIR` (set by `make test`) or `.build/debug`.
    public static func executable(_ name: String) -> URL {
        let folder = ProcessInfo.processInfo.environment["CONTEXT0_BIN_DIR"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent(".build/debug")
        return folder.appendingPathComponent(name)
    }
}
