import ArgumentParser
import Settings
import Foundation
import Jobs
import Postgres

/// `context0-admin`: operate a Context0 deployment from the shell.
@main
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context0-admin",
        abstract: "Operate Context0: migrations, jobs, queues, workers, tokens, keys, users, embeddings.",
        subcommands: [MigrateCommand.self, JobsCommand.self, QueuesCommand.self, WorkersCommand.self, TokenCommand.self, KeysCommand.self, UsersCommand.self, EmbedCommand.self])
}

/// Options every command that talks to the database takes.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (default: DATABASE_URL, else the embedded server).")
    var databaseURL: String?

    /// Opens a connection, or fails with a clear message (exit code 1).
    func connect() throws -> PostgresConnection {
        var environment = ProcessInfo.processInfo.environment
        if let databaseURL { environment["DATABASE_URL"] = databaseURL }
        guard let url = ProjectLayout.databaseURL(environment: environment) else {
            throw AdminError("DATABASE_URL is not set and no embedded PostgreSQL was found (run `make run`, or scripts/postgres.sh start)")
        }
        do {
            return try PostgresConnection(url: url, applicationName: "context0-admin", connectTimeout: 5)
        } catch {
            throw AdminError("cannot reach the database: \(error)")
        }
    }
}

/// `--json` for scripts, tables for people.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.")
    var json = false
}

/// A failure the user can act on: printed as `error: …`, exit code 1.
struct AdminError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply the SQL migrations that are missing.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Folder of the numbered .sql files (default: MIGRATIONS_DIR, else ./sql).")
    var directory: String?

    func run() throws {
        var environment = ProcessInfo.processInfo.environment
        if let directory { environment["MIGRATIONS_DIR"] = directory }
        guard let folder = ProjectLayout.migrationsFolder(environment: environment) else {
            throw AdminError("no migrations folder found: pass --directory or set MIGRATIONS_DIR")
        }
        let migrator = try Migrator(directory: folder)
        let connection = try database.connect()
        let applied = try migrator.migrate(connection)
        print(applied.isEmpty ? "database is up to date (\(migrator.migrations.count) migrations)" : "applied: " + applied.joined(separator: ", "))
    }
}
