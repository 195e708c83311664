import Core
import Jobs
import Postgres

/// `context.ingest`: splits a document into context nodes that fit the model's window, and
/// enqueues their embedding. The API chunks in the request that adds a document (see
/// `ContextIntake`); this job serves documents still `pending` from a version that chunked
/// in a worker, and jobs of that kind still queued at an upgrade.
///
/// The document is read, then chunked with no connection held and no transaction open, on a
/// thread pool for blocking work, stopped when the job is cancelled or times out: the largest
/// document takes a good part of a second, and a row lock held meanwhile would keep its
/// owner's delete and the job's own retries waiting. The chunks are stored in a short
/// transaction that locks the document and stores them only if it is still pending with the
/// same content. Running twice does nothing the second time; a deleted document is simply done.
struct IngestDocumentHandler: JobHandler {
    let store: ContextStore
    let pool: PostgresPool
    let chunker: TextChunker

    func run(_ job: IngestDocumentArgs, context: JobContext) async throws -> JobOutcome {
        let read = try await pool.withConnection { [store] connection in
            try store.documentToIngest(id: job.documentID, on: connection)
        }
        guard let document = read, document.state == "pending" else { return .completed }
        let chunks = try await chunker.chunksOffPool(of: document.content)
        _ = try await pool.withTransaction { [store] connection in
            try store.storeChunks(chunks, of: document, on: connection)
        }
        return .completed
    }
}
