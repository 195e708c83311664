import Auth
import Foundation
import Postgres
import TestSupport
import Testing

/// What an API key costs the database: recent answers, live and unknown, come from memory,
/// and `last_used_at` is written at most once a minute, not on every request.
@Suite struct APIKeyLookupTests {
    /// The key `unknown` becomes a real key behind the API's back (its hash given to an existing
    /// row, which announces only the old hash): only a database lookup can see it. Returns
    /// the status of the first request and of the one after the change.
    static func statusesAroundTheKeyAppearing(_ server: TestServer) async throws -> (before: Int, after: Int) {
        let unknown = APIKey.generate()
        let before = try await server.get("/memories", token: unknown).status
        let real = try await server.createKey(user: TestServer.newUser("appearing"))
        let id = try #require(UUID(uuidString: real.id))
        _ = try await server.pool.query("UPDATE api_keys SET key_hash = \(APIKey.hash(unknown)) WHERE id = \(id)")
        return (before, try await server.get("/memories", token: unknown).status)
    }

    @Test func anUnknownKeyIsRefusedFromMemoryWhileItsEntryLives() async throws {
        try await TestServer.run(["API_KEY_UNKNOWN_CACHE_SECONDS": "3600"], workerQueues: nil) { server in
            let statuses = try await Self.statusesAroundTheKeyAppearing(server)
            #expect(statuses == (401, 401), "the second answer came from memory, not from a lookup: \(statuses)")
        }
        // The control: asking every time, the same steps see the key appear.
        try await TestServer.run(["API_KEY_UNKNOWN_CACHE_SECONDS": "0"], workerQueues: nil) { server in
            let statuses = try await Self.statusesAroundTheKeyAppearing(server)
            #expect(statuses == (401, 200), "\(statuses)")
        }
    }

    @Test func lastUsedAtIsWrittenAtMostOnceAMinute() async throws {
        // No cache for live keys: every request looks the key up.
        try await TestServer.run(["API_KEY_CACHE_SECONDS": "0"], workerQueues: nil) { server in
            let key = try await server.createKey(user: TestServer.newUser("last-used"))
            let id = try #require(UUID(uuidString: key.id))
            func row() async throws -> (used: Date?, version: String) {
                let row = try #require(try await server.pool.query(
                    "SELECT last_used_at, xmin::text AS version FROM api_keys WHERE id = \(id)").first)
                return (try row.decode("last_used_at", as: Date?.self), try row.decode("version", as: String.self))
            }
            #expect(try await row().used == nil)
            #expect(try await server.get("/memories", token: key.key).status == 200)
            let first = try await row()
            #expect(first.used != nil, "the first use is written")
            for _ in 0..<3 { #expect(try await server.get("/memories", token: key.key).status == 200) }
            let again = try await row()
            #expect(again.used == first.used && again.version == first.version, "no row version within the minute: \(first) then \(again)")

            _ = try await server.pool.query("UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = \(id)")
            let aged = try #require(try await row().used)
            #expect(try await server.get("/memories", token: key.key).status == 200)
            let touched = try #require(try await row().used)
            #expect(touched > aged, "a use more than a minute after the last is written")
        }
    }

    /// Announcements sent while the listening connection is away are lost, so when it
    /// connects again every remembered key is forgotten.
    @Test func rememberedKeysAreForgottenWhenTheAnnouncementsReconnect() async throws {
        try await TestServer.run(["API_KEY_CACHE_SECONDS": "3600"], workerQueues: nil) { server in
            let key = try await server.createKey(user: TestServer.newUser("reconnect"))
            let id = try #require(UUID(uuidString: key.id))
            #expect(try await server.get("/memories", token: key.key).status == 200)
            // A change nothing announces: the key loses its scopes.
            _ = try await server.pool.query("UPDATE api_keys SET scopes = '{}' WHERE id = \(id)")
            #expect(try await server.get("/memories", token: key.key).status == 200, "still remembered with its scopes")
            _ = try await server.pool.query("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = 'context0-listener'
                """)
            try await eventually("the reconnected listener empties the cache") {
                try await server.get("/memories", token: key.key).status == 403
            }
        }
    }
}
