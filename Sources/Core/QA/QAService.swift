import Embedding
import Foundation
import Postgres

/// Questions over a user's memories and context: answered from what retrieval finds (by the
/// language model, or offline from the best sentences), then kept in the user's history.
public struct QAService: Sendable {
    let pool: PostgresPool
    let history: QAStore
    let retriever: Retriever
    let assistant: Assistant
    let embedder: any Embedder

    public init(pool: PostgresPool, history: QAStore, retriever: Retriever, assistant: Assistant, embedder: any Embedder) {
        self.pool = pool
        self.history = history
        self.retriever = retriever
        self.assistant = assistant
        self.embedder = embedder
    }

    /// An answer not yet recorded, with the sources it was drawn from.
    public struct Answer: Sendable {
        public var question: String
        public var output: AssistantOutput
        public var retrieval: Retrieval
        public var caller: Tenant
    }

    /// Retrieves up to `limit` memories and `limit` context chunks and answers from them.
    public func answer(_ question: String, limit: Int, caller: Tenant) async throws -> Answer {
        let embedding = try await embedder.embed(question)
        let retrieval = try await retriever.retrieve(for: question, embedding: embedding, caller: caller, memoryLimit: limit, contextLimit: limit)
        let output = try await assistant.answer(question, questionEmbedding: embedding, retrieval: retrieval)
        return Answer(question: question, output: output, retrieval: retrieval, caller: caller)
    }

    /// Keeps the answer in the history with its citations (JSON as the caller renders them),
    /// meters the AI operation and emits `qa.answer`, in one transaction.
    public func record(_ answer: Answer, citations: PostgresJSON) async throws -> QARecord {
        try await pool.withTransaction { [history] connection in
            let userID = answer.caller.userID
            let record = try history.record(
                userID: userID, question: answer.question, answer: answer.output.text, mode: answer.output.mode,
                citations: citations, on: connection)
            try ChangeEffects(userID: userID)
                .countingAIOperation("qa", output: answer.output)
                .emitting(.qaAnswer, [
                    "question_id": record.id.uuidString.lowercased(), "question": answer.question, "mode": answer.output.mode,
                ])
                .record(on: connection)
            return record
        }
    }
}
