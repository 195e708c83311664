import Auth
import Core
import Embedding
import Foundation
import Hummingbird
import Postgres

/// Q&A over the user's memories and context, with citations; and its history.
struct QARoutes: Sendable {
    let pool: PostgresPool
    let history: QAStore
    let retriever: Retriever
    let assistant: Assistant
    let embedder: any Embedder

    func add(to routes: ProtectedRoutes) {
        routes.post("ask", .needs(.qa, class: .ai), use: ask)
        routes.get("history", .needs(.qa), use: list)
    }

    @Sendable func ask(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let body = try await JSONBody(request)
        guard let question = try body.string("question", maxLength: 2000), !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation("question must be a non-empty string", field: "question")
        }
        let limit = try body.integer("limit", in: 1...20) ?? 5
        let embedding = try await embedder.embed(question)
        let retrieval = try await retriever.retrieve(
            for: question, embedding: embedding, caller: Tenant(userID: caller.userID, organizationID: caller.organizationID),
            memoryLimit: limit, contextLimit: limit)
        let answer = try await assistant.answer(question, questionEmbedding: embedding, retrieval: retrieval)
        let citations = Self.citations(retrieval, cited: answer.cited, readable: ReadableStores(caller))
        let citationsJSON = PostgresJSON(text: String(decoding: try JSONSerialization.data(withJSONObject: citations, options: [.sortedKeys]), as: UTF8.self))
        let record = try await pool.withTransaction { [history] connection in
            try UsageMetric.recordAIOperation(userID: caller.userID, purpose: "qa", output: answer, on: connection)
            let record = try history.record(
                userID: caller.userID, question: question, answer: answer.text, mode: answer.mode,
                citations: citationsJSON, on: connection)
            try WebhookEvents.emit(.qaAnswer, userID: caller.userID, data: [
                "question_id": record.id.uuidString.lowercased(), "question": question, "mode": answer.mode,
            ], on: connection)
            return record
        }
        return try Envelope.make(message: "answered (\(answer.mode))", data: [
            "id": record.id.uuidString.lowercased(), "question": question, "answer": answer.text, "mode": answer.mode,
            "citations": citations, "created_at": JSONResponse.time(record.createdAt),
        ])
    }

    @Sendable func list(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let (limit, skip) = try ChatViews.paging(request)
        let (records, total) = try await pool.withConnection { [history] in try history.history(userID: caller.userID, limit: limit, skip: skip, on: $0) }
        return try Envelope.make(message: "\(total) questions", data: MemoryViews.page(records.map { record in
            ["id": record.id.uuidString.lowercased(), "question": record.question, "answer": record.answer, "mode": record.mode,
             "citations": MemoryViews.jsonObject(record.citations), "created_at": JSONResponse.time(record.createdAt)]
        }, total: total, limit: limit, skip: skip))
    }

    /// Every retrieved source with id, snippet (when the token may read its store) and
    /// score; the ones the answer rests on first and marked `used`.
    static func citations(_ retrieval: Retrieval, cited: [Int], readable: ReadableStores) -> [[String: Any]] {
        let memories = retrieval.memories.map { hit -> [String: Any] in
            var citation: [String: Any] = ["type": "memory", "id": hit.memory.id.uuidString.lowercased(), "score": hit.score, "similarity": hit.similarity ?? NSNull()]
            if readable.memories { citation["snippet"] = String(hit.memory.text.prefix(300)) }
            return citation
        }
        let context = retrieval.context.map { hit -> [String: Any] in
            var citation: [String: Any] = [
                "type": "context", "id": hit.nodeID.uuidString.lowercased(), "document_id": hit.documentID.uuidString.lowercased(),
                "score": hit.score, "similarity": hit.similarity ?? NSNull(),
            ]
            if readable.context { citation["snippet"] = String(hit.text.prefix(300)) }
            return citation
        }
        let all = memories + context
        let used = Set(cited)
        return cited.filter { all.indices.contains($0) }.map { all[$0].merging(["used": true]) { $1 } }
            + all.indices.filter { !used.contains($0) }.map { all[$0].merging(["used": false]) { $1 } }
    }
}
