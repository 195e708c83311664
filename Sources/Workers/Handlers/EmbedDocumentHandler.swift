import Core
import Embedding
import Foundation
import Jobs
import Postgres

/// `context.embed`: embeds a document's nodes that have none yet, in batches, and marks the
/// document indexed when all are. Running twice embeds, bills and announces nothing twice.
struct EmbedDocumentHandler: JobHandler {
    let store: ContextStore
    let pool: PostgresPool
    let embedder: any Embedder
    static let batchSize = 32

    func run(_ job: EmbedDocumentArgs, context: JobContext) async throws -> JobOutcome {
        while true {
            let nodes = try await pool.withConnection { [store] in
                try store.nodesToEmbed(documentID: job.documentID, limit: Self.batchSize, on: $0)
            }
            let vectors = nodes.isEmpty ? [] : try await embedder.embed(nodes.map(\.text))
            let embeddings = zip(nodes, vectors).map { (id: $0.id, vector: $1) }
            // Vectors, metering, the document's state and its event commit together: a crash
            // leaves all of them or none, and the retry finds the nodes done.
            try await pool.withTransaction { [store] in
                try store.storeEmbeddings(embeddings, documentID: job.documentID, on: $0)
            }
            if nodes.count < Self.batchSize { return .completed }
        }
    }
}
