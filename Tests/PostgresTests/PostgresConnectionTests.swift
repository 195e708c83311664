import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct PostgresConnectionTests {
    @Test func bindsAndDecodesEveryType() async throws {
        try await TestDatabase.with { _, pool in
            let id = UUID()
            let now = Date(timeIntervalSince1970: 1_795_000_000.123456)
            let bytes = Data([0, 1, 0xAB, 0xFF])
            let tricky = ["plain", "with \"quotes\"", "comma,brace}", "back\\slash", "NULL", ""]
            let row = try await pool.query("""
                SELECT \("héllo ✓")::text AS text, \(Int.max)::int8 AS big, \(Int32(-7))::int4 AS small, \(true)::bool AS flag,
                       \(3.25)::float8 AS double, \(id)::uuid AS id, \(now)::timestamptz AS time,
                       \(PostgresJSON(text: #"{"a": [1, 2]}"#))::jsonb AS json, \(bytes)::bytea AS bytes,
                       \(tricky)::text[] AS texts, \([1, 2, 3])::int8[] AS ints, \([id])::uuid[] AS ids,
                       \(PostgresVector([0.5, -1, 2]))::vector AS embedding, \(Optional<String>.none)::text AS nothing
                """).first!
            #expect(try row.decode("text", as: String.self) == "héllo ✓")
            #expect(try row.decode("big", as: Int.self) == Int.max)
            #expect(try row.decode("small", as: Int32.self) == -7)
            #expect(try row.decode("flag", as: Bool.self))
            #expect(try row.decode("double", as: Double.self) == 3.25)
            #expect(try row.decode("id", as: UUID.self) == id)
            #expect(abs(try row.decode("time", as: Date.self).timeIntervalSince(now)) < 0.000_001)
            #expect(try row.decode("json", as: PostgresJSON.self).decode([String: [Int]].self) == ["a": [1, 2]])
            #expect(try row.decode("bytes", as: Data.self) == bytes)
            #expect(try row.decode("texts", as: [String].self) == tricky)
            #expect(try row.decode("ints", as: [Int].self) == [1, 2, 3])
            #expect(try row.decode("ids", as: [UUID].self) == [id])
            #expect(try row.decode("embedding", as: PostgresVector.self) == PostgresVector([0.5, -1, 2]))
            #expect(try row.decode("nothing", as: String?.self) == nil)
            #expect(throws: PostgresError.self) { try row.decode("nothing", as: String.self) }
            #expect(throws: PostgresError.self) { try row.decode("text", as: Int.self) }
        }
    }

    @Test func serverErrorsCarrySQLStateButNeverParameterValues() async throws {
        try await TestDatabase.with { _, pool in
            try await pool.query("CREATE TABLE secrets (value text PRIMARY KEY)")
            try await pool.query("INSERT INTO secrets VALUES (\("hunter2-secret"))")
            do {
                try await pool.query("INSERT INTO secrets VALUES (\("hunter2-secret"))")
                Issue.record("a duplicate key must fail")
            } catch let error as PostgresError {
                #expect(error.sqlState == PostgresError.uniqueViolation)
                #expect(!error.description.contains("hunter2"))
                #expect(!"\(error)".contains("hunter2"))
            }
        }
    }

    @Test func transactionRollsBackWhenItsBodyThrows() async throws {
        try await TestDatabase.with { _, pool in
            try await pool.query("CREATE TABLE items (n int)")
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await pool.withTransaction { connection in
                    try connection.query("INSERT INTO items VALUES (1)")
                    throw Boom()
                }
            }
            _ = try await pool.withTransaction { try $0.query("INSERT INTO items VALUES (2)") }
            let values = try await pool.query("SELECT n FROM items").rows.map { try $0.decode("n", as: Int.self) }
            #expect(values == [2])
        }
    }

    @Test func pipelineRunsEveryStatementAndReportsTheFirstError() async throws {
        try await TestDatabase.with { _, pool in
            let results = try await pool.withConnection { connection in
                try connection.pipeline(["SELECT 1 AS a", "SELECT \(2) AS b", "SELECT 'x' AS c"])
            }
            #expect(try results.map { try $0.first!.decode(at: 0, as: String.self) } == ["1", "2", "x"])
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.pipeline(["SELECT 1", "SELECT 1/0", "SELECT 3"]) }
            }
            // The connection is usable afterwards.
            #expect(try await pool.query("SELECT 5 AS five").first!.decode("five", as: Int.self) == 5)
        }
    }

    @Test func listenReceivesNotificationsAndTimesOutQuietly() async throws {
        try await TestDatabase.with { database, pool in
            let listener = try await runBlocking { try PostgresConnection(url: database.url) }
            try await runBlocking { try listener.listen("test_channel") }
            #expect(try await runBlocking { try listener.waitForNotifications(timeout: .milliseconds(50)) }.isEmpty)
            try await pool.query("SELECT pg_notify('test_channel', \("payload-1"))")
            let received = try await runBlocking { try listener.waitForNotifications(timeout: .seconds(30)) }
            #expect(received == [PostgresNotification(channel: "test_channel", payload: "payload-1")])
        }
    }

    @Test func poolNeverOpensMoreConnectionsThanItsLimit() async throws {
        try await TestDatabase.with(poolSize: 3) { database, pool in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        try await pool.query("""
                            SELECT count(*) AS n FROM pg_stat_activity
                            WHERE datname = \(database.name) AND application_name = 'context0-test'
                            """).first!.decode("n")
                    }
                }
                for try await seen in group { #expect(seen <= 3) }
            }
        }
    }

    @Test func poolReplacesConnectionsTheServerClosed() async throws {
        try await TestDatabase.with(poolSize: 2) { database, pool in
            let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<2 { group.addTask { try await pool.withConnection { $0.backendPID } } }
                return try await group.reduce(into: [Int32]()) { $0.append($1) }
            }
            try await runBlocking {
                let admin = try PostgresConnection(url: database.url)
                for pid in pids { try admin.query("SELECT pg_terminate_backend(\(pid))") }
            }
            // Idle connections that died are noticed and replaced before use.
            try await eventually("pool to work again") { (try? await pool.query("SELECT 1")) != nil }
            #expect(try await pool.query("SELECT 7 AS n").first!.decode("n", as: Int.self) == 7)
        }
    }

    @Test func migrationsAppliedConcurrentlyRunOnce() async throws {
        let database = try await TestDatabase.createEmpty()
        let migrator = try Migrator(directory: ProjectPaths.root.appendingPathComponent("sql"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let pool = PostgresPool(configuration: .init(url: database.url, maxConnections: 1))
                    try await pool.withConnection { _ = try migrator.migrate($0) }
                    await pool.close()
                }
            }
            try await group.waitForAll()
        }
        let (versions, again) = try await runBlocking {
            let connection = try PostgresConnection(url: database.url)
            let versions = try connection.query("SELECT version FROM schema_migrations ORDER BY version").rows.map { try $0.decode("version", as: Int.self) }
            return (versions, try migrator.migrate(connection))
        }
        try await database.drop()
        #expect(versions == migrator.migrations.map(\.version))
        #expect(again.isEmpty)
    }
}
