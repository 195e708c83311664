import Settings
import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport

/// Every session has time limits (`DatabaseLimits`), and a caller waits for a connection at
/// most `acquireTimeout`: one slow statement, a lock held too long or an abandoned
/// transaction cannot pin the pool for everyone else.
@Suite struct DatabaseLimitsTests {
    static let tight = DatabaseLimits(
        statementTimeout: .milliseconds(600), lockTimeout: .milliseconds(200), idleInTransactionTimeout: .milliseconds(500),
        connectTimeout: .seconds(2), acquireTimeout: .milliseconds(200), failFast: .zero)

    static func withPool<T: Sendable>(
        _ limits: DatabaseLimits = tight, connections: Int = 2, _ body: @Sendable (PostgresPool) async throws -> T
    ) async throws -> T {
        try await TestDatabase.with { database, _ in
            let pool = PostgresPool(configuration: .init(url: database.url, maxConnections: connections, applicationName: "context0-limits", limits: limits))
            do {
                let value = try await body(pool)
                await pool.close()
                return value
            } catch {
                await pool.close()
                throw error
            }
        }
    }

    static func one(_ pool: PostgresPool) async throws -> Int? {
        try await pool.query("SELECT 1 AS one").first?.decode("one", as: Int.self)
    }

    @Test func aStatementPastItsTimeLimitIsCancelledAsUnavailable() async throws {
        try await Self.withPool { pool in
            let failure = await #expect(throws: PostgresError.self) { try await pool.query("SELECT pg_sleep(30)") }
            #expect(failure?.sqlState == "57014" && failure?.isUnavailable == true, "\(String(describing: failure))")
            let after = try await Self.one(pool)
            #expect(after == 1, "the pool serves on")
        }
    }

    @Test func aLockWaitPastItsTimeLimitFails() async throws {
        try await Self.withPool { pool in
            try await pool.query("CREATE TABLE locked (id int PRIMARY KEY)")
            try await pool.query("INSERT INTO locked VALUES (1)")
            let holder = try PostgresConnection(url: pool.configuration.url)
            defer { holder.close() }
            try await runBlocking {
                try holder.query("BEGIN")
                try holder.query("SELECT * FROM locked WHERE id = 1 FOR UPDATE")
            }
            let failure = await #expect(throws: PostgresError.self) { try await pool.query("UPDATE locked SET id = 2 WHERE id = 1") }
            #expect(failure?.sqlState == "55P03" && failure?.isUnavailable == true, "\(String(describing: failure))")
        }
    }

    @Test func aTransactionLeftIdleIsEndedByTheServer() async throws {
        try await Self.withPool { pool in
            let failure = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { connection in
                    try connection.query("BEGIN")
                    Thread.sleep(forTimeInterval: 2)  // on the pool's own thread, idle in the transaction
                    try connection.query("SELECT 1")
                }
            }
            #expect(failure?.isConnectionFailure == true, "the server ended the session: \(String(describing: failure))")
            let after = try await Self.one(pool)
            #expect(after == 1, "a new connection replaces it")
        }
    }

    @Test func aCallerWaitsForAConnectionAtMostTheAcquireTimeOut() async throws {
        try await Self.withPool(connections: 1) { pool in
            // The one connection is held, on the pool's own thread, until the test lets it go.
            // No query competes while it is taken: on a loaded machine a competing query can
            // hold the connection past the holder's own acquire time-out.
            let release = DispatchSemaphore(value: 0)
            let held = Mutex(false)
            let busy = Task {
                while true {
                    do {
                        return try await pool.withConnection { _ in
                            held.withLock { $0 = true }
                            release.wait()
                        }
                    } catch let error as PostgresError where error.kind == .unavailable {
                        continue
                    }
                }
            }
            try await eventually("the one connection is busy") { held.withLock { $0 } }
            let failure = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(failure?.kind == .unavailable, "\(String(describing: failure))")
            release.signal()
            _ = try await busy.value
            let after = try await Self.one(pool)
            #expect(after == 1, "free again")
        }
    }

    @Test func limitsAreReadFromTheEnvironmentUnderAPrefix() throws {
        let limits = try DatabaseLimits(
            environment: ["WORKER_DATABASE_STATEMENT_TIMEOUT_MS": "1500", "DATABASE_STATEMENT_TIMEOUT_MS": "9", "WORKER_DATABASE_FAIL_FAST_MS": "0"],
            prefix: "WORKER_DATABASE_", defaults: .worker)
        #expect(limits.statementTimeout == .milliseconds(1500) && limits.failFast == .zero)
        #expect(limits.lockTimeout == DatabaseLimits.worker.lockTimeout)
        #expect(limits.sessionSettings["statement_timeout"] == "1500")
        #expect(DatabaseLimits.api.connectTimeoutSeconds == 2)
        #expect(throws: ConfigurationError.self) {
            try DatabaseLimits(environment: ["DATABASE_LOCK_TIMEOUT_MS": "soon"], prefix: "DATABASE_", defaults: .api)
        }
    }
}
