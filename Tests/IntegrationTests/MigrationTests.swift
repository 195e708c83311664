import Foundation
import Postgres
import TestSupport
import Testing

/// Migrations applied by `context0-admin migrate` processes.
@Suite struct MigrationTests {
    @Test func twoMigratorsAtOnceApplyEachMigrationExactlyOnce() async throws {
        try await withEmptyDatabase { database in
            let names = try migrationNames()
            async let first = ChildProcess.admin(database, "migrate")
            async let second = ChildProcess.admin(database, "migrate")
            let results = try await [first, second]
            for result in results {
                #expect(result.status == 0, "stderr: \(result.error)")
            }
            // The advisory lock lets one apply everything; the other finds nothing left.
            let outputs = results.map { $0.output.trimmingCharacters(in: .whitespacesAndNewlines) }.sorted()
            #expect(outputs == ["applied: " + names.joined(separator: ", "), "database is up to date (\(names.count) migrations)"])

            let connection = try await PostgresConnection.open(url: database.url)
            defer { connection.close() }
            let versions = try await connection.run("SELECT version FROM schema_migrations ORDER BY version")
                .rows.map { try $0.decode("version", as: Int.self) }
            #expect(versions == names.map { Int($0.prefix { $0.isNumber })! })
            #expect(try await connection.run("SELECT to_regclass('jobs') IS NOT NULL AS present").first!.decode("present", as: Bool.self))
        }
    }
}
