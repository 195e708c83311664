import Settings
import Foundation
import Postgres

/// A database of its own for one test, copied from a migrated template and dropped
/// afterwards, on the server `make test` started (or `DATABASE_URL`).
///
/// Every libpq call here blocks, so each runs through `runBlocking`.
public struct TestDatabase: Sendable {
    public let name: String
    public let url: String

    /// The server's URL, as `make test` passes it.
    public static var serverURL: String {
        guard let url = ProjectLayout.databaseURL(environment: ProcessInfo.processInfo.environment) else {
            fatalError("tests need PostgreSQL: run them with `make test`, or set DATABASE_URL")
        }
        return url
    }

    /// Runs `body` with a fresh, migrated database and a pool on it; drops it afterwards.
    public static func with<T: Sendable>(
        poolSize: Int = 8, _ body: @Sendable (TestDatabase, PostgresPool) async throws -> T
    ) async throws -> T {
        let database = try await create()
        let pool = PostgresPool(configuration: .init(url: database.url, maxConnections: poolSize, applicationName: "context0-test"))
        do {
            let value = try await body(database, pool)
            await pool.close()
            try await database.drop()
            return value
        } catch {
            await pool.close()
            try? await database.drop()
            throw error
        }
    }

    /// Creates an empty database (no migrations) with a unique name.
    public static func createEmpty() async throws -> TestDatabase {
        try await runBlocking { try createDatabase(template: nil) }
    }

    /// Creates a database with every migration applied: a copy of the template database
    /// that holds them (made once per set of migrations, see `MigratedTemplate`).
    public static func create() async throws -> TestDatabase {
        let template = try await MigratedTemplate.shared.name()
        do {
            return try await runBlocking { try createDatabase(template: template) }
        } catch {
            // Another checkout on the same server (with other migrations) may have dropped
            // this one's template as stale: make it again, once.
            let template = try await MigratedTemplate.shared.name(replacing: template)
            return try await runBlocking { try createDatabase(template: template) }
        }
    }

    public func drop() async throws {
        let name = name
        try await runBlocking {
            try PostgresConnection(url: Self.serverURL)
                .query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS " + PostgresConnection.quoteIdentifier(name) + " WITH (FORCE)"))
        }
    }

    private static func createDatabase(template: String?) throws -> TestDatabase {
        let name = "c0test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        var sql = "CREATE DATABASE " + PostgresConnection.quoteIdentifier(name)
        if let template { sql += " TEMPLATE " + PostgresConnection.quoteIdentifier(template) }
        try PostgresConnection(url: serverURL).query(PostgresQuery(unsafeSQL: sql))
        return TestDatabase(name: name, url: url(of: name))
    }

    /// The server's URL with another database name.
    public static func url(of database: String) -> String {
        guard var components = URLComponents(string: serverURL) else { return serverURL }
        components.path = "/" + database
        return components.string ?? serverURL
    }
}

/// The migrated database every test database is copied from: copying a database is one
/// statement, while running every migration is dozens. Its name carries a hash of the
/// migrations, so a changed or added migration makes a new one; older ones are dropped when
/// nobody is copying them. Several test processes may race to make it: an advisory lock
/// lets one build it under a temporary name and rename it when complete, while the others
/// wait and then use it.
actor MigratedTemplate {
    static let shared = MigratedTemplate()
    private var making: Task<String, Error>?

    /// Arbitrary constant: the advisory lock key that serialises template builders.
    private static let lockKey = 7_260_513_002

    /// The template's name, made once per process (concurrent callers share one making).
    func name() async throws -> String {
        if let making { return try await making.value }
        let task = Task { try await runBlocking { try Self.ensure() } }
        making = task
        return try await task.value
    }

    /// Makes the template again if `stale` is still the one this process uses (or making it
    /// failed).
    func name(replacing stale: String) async throws -> String {
        if let making, (try? await making.value).map({ $0 == stale }) ?? true { self.making = nil }
        return try await name()
    }

    private static func ensure() throws -> String {
        let migrator = try Migrator(directory: ProjectPaths.root.appendingPathComponent("sql"))
        let name = "c0test_template_" + digest(migrator.migrations.map { "\($0.name):\($0.checksum)" }.joined(separator: ","))
        let admin = try PostgresConnection(url: TestDatabase.serverURL, applicationName: "context0-test-template")
        try admin.query("SELECT pg_advisory_lock(\(lockKey))")
        defer { _ = try? admin.query("SELECT pg_advisory_unlock(\(lockKey))") }
        let existing = try admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'c0test\\_template\\_%'").rows
            .map { try $0.decode("datname", as: String.self) }
        // Without FORCE: a template another test run is copying right now stays.
        for stale in existing where stale != name {
            _ = try? admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS " + PostgresConnection.quoteIdentifier(stale)))
        }
        if existing.contains(name) { return name }
        let building = name + "_building"
        try admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE " + PostgresConnection.quoteIdentifier(building)))
        do {
            let connection = try PostgresConnection(url: TestDatabase.url(of: building), applicationName: "context0-test-template")
            _ = try migrator.migrate(connection)
            connection.close()
        }
        try admin.query(PostgresQuery(unsafeSQL: "ALTER DATABASE " + PostgresConnection.quoteIdentifier(building) + " RENAME TO " + PostgresConnection.quoteIdentifier(name)))
        return name
    }
}

/// FNV-1a of `text`, in hex: a short name for a set of migrations.
private func digest(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
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
