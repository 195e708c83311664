import Embedding
import Foundation
import Jobs
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

    /// Stores the documents with their nodes, enqueues their embedding, meters the bytes
    /// stored and emits `context.added`, and for a conversation enqueues memory extraction —
    /// in one transaction. A document identical to one the owner has is not stored again.
    /// Cancelling the calling task stops the chunking.
    public func add(_ context: NewContext) async throws -> [AddedDocument] {
        var chunked = [[TextChunker.Chunk]]()
        for document in context.documents {
            chunked.append(try await chunker.chunksOffPool(of: document.content))
        }
        return try await pool.withTransaction { [store, chunked] connection in
            try zip(context.documents, chunked).map { document, chunks in
                try Self.add(document, chunks: chunks, of: context, store: store, on: connection)
            }
        }
    }

    /// What `add` stored for one document.
    public struct AddedDocument: Sendable, Equatable {
        public var id: UUID
        /// An identical document (same owner, source, file name and content) existed: it
        /// was kept and nothing new was stored.
        public var duplicate: Bool
        public var jobID: Int?
    }

    private static func add(
        _ document: NewDocument, chunks: [TextChunker.Chunk], of context: NewContext, store: ContextStore, on connection: PostgresConnection
    ) throws -> AddedDocument {
        let owner = context.owner
        let hash = ContextStore.contentHash(document.content)
        if let existing = try store.identicalDocument(to: document, of: context, hash: hash, on: connection) {
            return AddedDocument(id: existing, duplicate: true, jobID: nil)
        }
        let (id, storedBytes) = try store.insertChunkedDocument(document, of: context, hash: hash, nodeCount: chunks.count, on: connection)
        let jobID = try store.storeNodes(chunks, of: id, owner: owner, on: connection)
        // A conversation also yields memories about the user who had it.
        let extraction = context.contextType == .conversation
            ? try NewJob(ExtractMemoriesArgs(userID: owner.userID, documentID: id),
                         options: JobOptions(uniqueKey: "memory.extract:document:\(id)", ownerUserID: owner.userID))
            : nil
        try ChangeEffects(userID: owner.userID)
            .metering(.storedBytes, storedBytes)
            .emitting(.contextAdded, [
                "document_id": id.uuidString.lowercased(), "title": document.fileName ?? NSNull(), "source": context.source,
                "organization_id": owner.organizationID ?? NSNull(), "bytes": document.content.utf8.count,
            ])
            .enqueueing(extraction)
            .record(queue: store.queue, on: connection)
        return AddedDocument(id: id, duplicate: false, jobID: jobID)
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
