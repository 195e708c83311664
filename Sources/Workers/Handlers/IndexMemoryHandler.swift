import Core
import Embedding
import Jobs
import Postgres

/// `memory.index`: embeds a memory (unless extraction already did) and infers its category
/// and emotion when the client gave none.
struct IndexMemoryHandler: JobHandler {
    let store: MemoryStore
    let pool: PostgresPool
    let embedder: any Embedder
    let classifier: MemoryClassifier

    func run(_ job: IndexMemoryArgs, context: JobContext) async throws -> JobOutcome {
        guard let memory = try await pool.withConnection({ [store] in try store.memoryToIndex(id: job.memoryID, on: $0) }) else {
            return .completed
        }
        let embedding: [Float]
        if let known = memory.embedding {
            embedding = known
        } else {
            embedding = try await embedder.embed(memory.text)
        }
        let category = memory.hasCategory ? nil : classifier.category(of: embedding)
        let emotion = memory.hasEmotion ? nil : classifier.emotion(of: embedding)
        try await pool.withTransaction { [store] in
            try store.storeIndex(id: job.memoryID, text: memory.text, embedding: embedding, category: category, emotion: emotion, on: $0)
        }
        return .completed
    }
}
