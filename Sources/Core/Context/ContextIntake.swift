import Embedding
import Postgres

/// Adding context, read-your-writes: each document is chunked first (off the cooperative
/// threads, no transaction open, no lock held), then the documents, their nodes and their
/// embedding jobs commit in one transaction. So the very next request of the caller lists
/// the nodes in its view (`indexed: false`) and finds them by keyword; they are found by
/// meaning once the embedding job has run. A request's chunking is bounded by the body
/// limit (10 MB, at most half a second of CPU for any shape of text: `make bench-chunker`).
public struct ContextIntake: Sendable {
    let pool: PostgresPool
    let store: ContextStore
    let chunker: TextChunker

    public init(pool: PostgresPool, store: ContextStore, chunker: TextChunker) {
        self.pool = pool
        self.store = store
        self.chunker = chunker
    }

    /// Stores the documents with their nodes and enqueues their embedding. Cancelling the
    /// calling task stops the chunking.
    public func add(_ context: NewContext) async throws -> [ContextStore.AddedDocument] {
        var chunked = [[TextChunker.Chunk]]()
        for document in context.documents {
            chunked.append(try await chunker.chunksOffPool(of: document.content))
        }
        return try await pool.withTransaction { [store, chunked] in try store.add(context, chunks: chunked, on: $0) }
    }
}

extension TextChunker {
    /// The chunker whose chunks fit `embedder`'s window: counted with the native model's
    /// tokenizer (also for a remote embedder, when the model's vocabulary is installed in
    /// `modelDirectory`), else at about 4 bytes a token. The API and the workers use the same.
    public static func fitting(_ embedder: any Embedder, modelDirectory: String) -> TextChunker {
        let tokenizer = (embedder as? MiniLMEmbedder)?.tokenizer
            ?? (try? WordPieceTokenizer(vocabularyFile: modelDirectory + "/vocab.txt"))
        if let tokenizer {
            return TextChunker(maxTokens: 254) { tokenizer.wordPieceIDs($0).count }
        }
        return TextChunker(maxTokens: 254) { max(1, $0.utf8.count / 4) }
    }
}
