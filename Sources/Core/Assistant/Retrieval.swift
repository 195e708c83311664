import Embedding
import Foundation
import Postgres

/// What the assistant knows that bears on a message or question: the user's memories and
/// the context they can see, each ranked.
public struct Retrieval: Sendable {
    public var memories: [MemoryHit]
    public var context: [ContextHit]

    public var isEmpty: Bool { memories.isEmpty && context.isEmpty }
}

/// Finds a user's relevant memories and context for a text (embedded once, in-process).
public struct Retriever: Sendable {
    let pool: PostgresPool
    let memories: MemoryStore
    let contexts: ContextStore

    public init(pool: PostgresPool, memories: MemoryStore, contexts: ContextStore) {
        self.pool = pool
        self.memories = memories
        self.contexts = contexts
    }

    /// The caller's memories and the context they can see that best match `text`, at most
    /// `memoryLimit` and `contextLimit` of each; weak matches (similarity under 0.25) are left out.
    public func retrieve(for text: String, embedding: [Float], caller: Tenant, memoryLimit: Int = 5, contextLimit: Int = 5) async throws -> Retrieval {
        try await pool.withConnection { [memories, contexts] connection in
            let memoryHits = try memories.search(
                userID: caller.userID, text: text, embedding: embedding, filter: MemoryFilter(), threshold: 0.25,
                limit: memoryLimit, on: connection)
            let contextHits = try contexts.search(ContextQuery(
                caller: caller, text: text, embedding: embedding, minimumSimilarity: 0.25, maximumSimilarity: 1,
                scope: nil, metadata: nil, limit: contextLimit), on: connection)
            return Retrieval(memories: memoryHits, context: contextHits)
        }
    }
}
