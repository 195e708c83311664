import Core
import Jobs
import Postgres

/// `context.ingest`: splits a document into context nodes that fit the model's window, and
/// enqueues their embedding, in one transaction with the document locked. Running twice
/// does nothing the second time; a deleted document is simply done.
struct IngestDocument: Sendable {
    let store: ContextStore
    let pool: PostgresPool
    let chunker: TextChunker

    func run(_ job: IngestDocumentJob, context: JobContext) async throws -> JobOutcome? {
        let chunker = self.chunker
        try await pool.withTransaction { [store] connection in
            guard let document = try store.documentForIngest(id: job.documentID, on: connection),
                  document.state == "pending" else { return }
            try store.storeChunks(chunker.chunks(of: document.content), of: document, on: connection)
        }
        return .completed
    }
}
