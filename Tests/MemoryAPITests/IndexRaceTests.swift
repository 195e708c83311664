import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

/// A memory whose text changes while its indexing job is running must end up indexed with
/// its new text (embedding and inferred category), not the old one.
extension OfflineMemoryAPI {
    @Suite struct IndexRace {
        /// Waits until a backend of `application` running a statement that contains `query`
        /// waits on a lock (the memory's row lock a test holds, or a place behind another
        /// waiter for it).
        static func waitBlocked(_ server: TestServer, _ application: String, query: String = "FROM memories m") async throws {
            try await eventually("\(application) to wait on the memory's row lock", timeout: .seconds(120), interval: .milliseconds(20)) {
                try await server.pool.query("""
                    SELECT count(*) AS n FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name = \(application)
                      AND cardinality(pg_blocking_pids(pid)) > 0 AND position(\(query) IN query) > 0
                    """).first!.decode("n", as: Int.self) > 0
            }
        }

        @Test func aTextChangedWhileTheIndexJobRunsIsIndexedWithTheNewText() async throws {
            let server = try TestServer.shared
            let token = server.newToken()
            let queue = JobQueue()
            // Hold the new memory's indexing until its row is locked here.
            try await server.pool.withConnection { try queue.setPaused(true, queue: "embedding", on: $0) }
            let created: JSON
            let locker: PostgresConnection
            do {
                created = try await server.createMemory(token, "I drive a blue Toyota to the office.")
                locker = try await PostgresConnection.open(url: server.database.url, applicationName: "memory-tests-locker")
            } catch {
                try await server.pool.withConnection { try queue.setPaused(false, queue: "embedding", on: $0) }
                throw error
            }
            defer { locker.close() }
            let id = try #require(created["id"]?.string)
            let uuid = try #require(UUID(uuidString: id))
            let createJob = try #require(created["job_id"]?.int)
            try await locker.run("BEGIN")
            try await locker.run("SELECT id FROM memories WHERE id = \(uuid) FOR UPDATE")
            try await server.pool.withConnection { try queue.setPaused(false, queue: "embedding", on: $0) }

            // The job reads the old text, embeds it and waits for the row to store the result.
            do {
                try await Self.waitBlocked(server, "context0-worker")
            } catch {
                _ = try? await locker.run("COMMIT")
                throw error
            }
            let newText = "I bake sourdough bread every weekend."
            let put = Task { try await server.put("/memories/\(id)", token: token, ["text": newText, "reason": "wrong memory"]) }
            do {
                try await Self.waitBlocked(server, "context0-api")
            } catch {
                _ = try? await locker.run("COMMIT")
                _ = try? await put.value
                throw error
            }
            try await locker.run("COMMIT")
            let updated = try server.data(try await put.value, 200, "PUT while indexing")
            #expect(updated["text"]?.string == newText)
            let updateJob = updated["job_id"]?.int

            var last: JSON?
            var similarity: Double?
            do {
                try await eventually("the memory to be indexed with its new text", timeout: .seconds(120), interval: .milliseconds(100)) {
                    last = try await server.memory(token, id)
                    guard last?["enrichment"]?.string == "done" else { return false }
                    similarity = try await server.search(token, newText, ["threshold": 0]).first { $0["id"]?.string == id }?["similarity"]?.number
                    return (similarity ?? 0) > 0.99
                }
            } catch {
                Issue.record("""
                    the memory's text changed while its index job \(createJob) was running; the PUT answered job_id \
                    \(updateJob.map(String.init) ?? "null"); 10 s later the memory is \(last?["enrichment"]?.string ?? "?") \
                    with category \(last?["category"]?.string ?? "null") and its new text's similarity to its own embedding is \
                    \(similarity.map { String($0) } ?? "none (not found)"), i.e. it is indexed with the old text or not at all
                    """)
            }
        }
    }
}
