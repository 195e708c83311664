import Core
import Foundation
import Jobs
import Postgres
import TestSupport
import Testing

/// The embedding job stores a batch's vectors, its metering, the document's state and its
/// `context.indexed` event in one transaction, and writes only nodes still without a vector:
/// a worker that dies after the commit and is retried bills no chunk twice.
@Suite struct EmbeddingRetryTests {
    @Test func embeddingsStoredTwiceAreMeteredOnce() async throws {
        try await TestServer.run(workerQueues: nil) { server in
            let user = TestServer.newUser("embed-retry")
            let added = try await server.post("/context/add", token: server.token(user), [
                "documents": [["content": (1...120).map { "Tea number \($0) is brewed from leaves, coffee from roasted beans." }.joined(separator: " ")]],
            ])
            #expect(added.status == 201, "\(added)")
            let documentID = try #require(added.json?["documents"]?[0]?["id"]?.string.flatMap(UUID.init(uuidString:)))
            // Chunked by the add itself; no worker runs, so nothing is embedded yet.
            let store = ContextStore(queue: JobQueue())
            let nodes = try await server.pool.withConnection { try store.nodesToEmbed(documentID: documentID, limit: 100, on: $0) }
            try #require(nodes.count >= 2)
            let embeddings = nodes.map { (id: $0.id, vector: [Float](repeating: 0.05, count: 384)) }
            // The job's run, then its retry after a crash between the commit and the job's end.
            for _ in 0..<2 {
                try await server.pool.withTransaction { try store.storeEmbeddings(embeddings, documentID: documentID, on: $0) }
            }
            let metered = try await server.pool.query("""
                SELECT coalesce(sum(quantity), 0)::int8 AS n FROM usage_hourly WHERE user_id = \(user) AND metric = 'embedded_chunks'
                """).first?.decode("n", as: Int.self)
            #expect(metered == nodes.count, "each chunk billed once")
            let state = try await server.pool.query("SELECT state FROM context_documents WHERE id = \(documentID)").first?.decode("state", as: String.self)
            #expect(state == "indexed")
        }
    }
}
