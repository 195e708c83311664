import ArgumentParser
import Foundation
import Postgres
import Settings
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A database created for one run (dropped and created again), migrated, dropped at the end.
public struct BenchmarkDatabase: Sendable {
    public let serverURL: String
    public let name: String
    public let url: String

    public init(serverURL: String, name: String) throws {
        self.serverURL = serverURL
        self.name = name
        var components = URLComponents(string: serverURL)!
        components.path = "/" + name
        url = components.string!
        let admin = try PostgresConnection(url: serverURL)
        let quoted = PostgresConnection.quoteIdentifier(name)
        try admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)"))
        try admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(quoted)"))
        guard let folder = ProjectLayout.migrationsFolder(environment: ProcessInfo.processInfo.environment) else {
            throw ValidationError("no sql/ folder found: run from the project folder or set MIGRATIONS_DIR")
        }
        try Migrator(directory: folder).migrate(PostgresConnection(url: url))
    }

    public func drop() throws {
        try PostgresConnection(url: serverURL).query(
            PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(name)) WITH (FORCE)"))
    }
}
