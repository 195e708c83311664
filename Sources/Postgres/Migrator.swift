import Foundation

/// Applies the numbered, forward-only SQL files of a folder (`0001_jobs.sql`, …) in order,
/// each in its own transaction, and records them in `schema_migrations`.
///
/// Safe to run from several processes at once: a session advisory lock lets one apply
/// while the others wait and then find nothing left to do. A recorded migration whose file
/// has changed since is an error: migrations are never edited, only added.
public struct Migrator: Sendable {
    /// One SQL file of the folder, numbered by its name's leading digits. Its checksum is
    /// recorded when it is applied, to catch a later edit.
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
        public var checksum: String { String(Self.fnv1a(sql), radix: 16) }

        static func fnv1a(_ text: String) -> UInt64 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            return hash
        }
    }

    public let migrations: [Migration]
    /// Arbitrary constant: the advisory lock key that serialises migrators.
    static let lockKey = 7_260_513_001

    public init(directory: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var migrations = [Migration]()
        for file in files.sorted() where file.hasSuffix(".sql") {
            guard let version = Int(file.prefix { $0.isNumber }) else {
                throw PostgresError(kind: .invalidArgument, message: "migration \(file) does not start with a number")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: file, sql: sql))
        }
        if let duplicate = Dictionary(grouping: migrations, by: \.version).first(where: { $0.value.count > 1 }) {
            throw PostgresError(kind: .invalidArgument, message: "two migrations share version \(duplicate.key)")
        }
        self.migrations = migrations
    }

    /// Applies what is missing; returns the names applied now.
    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws -> [String] {
        try connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))") }
        try connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        let applied = try appliedChecksums(connection)
        var names = [String]()
        for migration in migrations {
            if let checksum = applied[migration.version] {
                guard checksum == migration.checksum else {
                    throw PostgresError(kind: .invalidArgument, message: "migration \(migration.name) was changed after it was applied")
                }
                continue
            }
            try connection.transaction { connection in
                try connection.executeScript(migration.sql)
                try connection.query("""
                    INSERT INTO schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """)
            }
            names.append(migration.name)
        }
        return names
    }

    private func appliedChecksums(_ connection: PostgresConnection) throws -> [Int: String] {
        var applied = [Int: String]()
        for row in try connection.query("SELECT version, checksum FROM schema_migrations").rows {
            applied[try row.decode("version")] = try row.decode("checksum", as: String.self)
        }
        return applied
    }
}
