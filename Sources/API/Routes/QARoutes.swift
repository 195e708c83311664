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
    let service: QAService

    func add(to routes: ProtectedRoutes) {
        routes.post("ask", .needs(.qa, class: .ai), use: ask)
        routes.get("history", .needs(.qa), use: list)
    }

    @Sendable func ask(_ request: Request, context: Context0RequestContext) async throws -> Envelope<QAViews.Answer<[QAViews.Citation]>> {
        let caller = try context.caller()
        let body = try await JSONBody(request)
        guard let question = try body.string("question", maxLength: 2000), !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation("question must be a non-empty string", field: "question")
        }
        let limit = try body.integer("limit", in: 1...20) ?? 5
        let answer = try await ask(question, limit: limit, caller: caller)
        return Envelope("answered (\(answer.mode))", answer)
    }

    /// Answers, cites and keeps the answer in the history, for the REST route and the MCP tool.
    func ask(_ question: String, limit: Int, caller: Identity) async throws -> QAViews.Answer<[QAViews.Citation]> {
        let answer = try await service.answer(question, limit: limit, caller: caller.tenant)
        let citations = Self.citations(answer.retrieval, cited: answer.output.cited, readable: ReadableStores(caller))
        let record = try await service.record(answer, citations: PostgresJSON(text: try ResponseJSON.text(citations)))
        return QAViews.Answer(record, citations: citations)
    }

    @Sendable func list(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Paged<QAViews.Answer<JSONValue>>> {
        let caller = try context.caller()
        let (limit, skip) = try Paged<Never>.window(request)
        let (records, total) = try await pool.withConnection { [history] in try history.history(userID: caller.userID, limit: limit, skip: skip, on: $0) }
        let items = records.map { QAViews.Answer($0, citations: JSONValue(storedText: $0.citations)) }
        return Envelope("\(total) questions", Paged(items: items, total: total, limit: limit, skip: skip))
    }

    /// Every retrieved source with id, snippet (when the token may read its store) and
    /// score; the ones the answer rests on first and marked `used`.
    static func citations(_ retrieval: Retrieval, cited: [Int], readable: ReadableStores) -> [QAViews.Citation] {
        let memories = retrieval.memories.map { hit in
            QAViews.Citation(type: "memory", id: hit.memory.id.apiString, score: hit.score, similarity: hit.similarity,
                             snippet: readable.memories ? String(hit.memory.text.prefix(300)) : nil)
        }
        let context = retrieval.context.map { hit in
            QAViews.Citation(type: "context", id: hit.nodeID.apiString, document_id: hit.documentID.apiString, score: hit.score,
                             similarity: hit.similarity, snippet: readable.context ? String(hit.text.prefix(300)) : nil)
        }
        let all = memories + context
        let used = Set(cited)
        return cited.filter { all.indices.contains($0) }.map { all[$0].used(true) }
            + all.indices.filter { !used.contains($0) }.map { all[$0].used(false) }
    }
}

/// How answers and their citations appear in responses (and how citations are stored).
enum QAViews {
    struct Citation: Encodable, Sendable {
        let type: String
        let id: String
        /// Context citations only.
        var document_id: String?
        let score: Double
        /// Null for a source found by its words before its embedding landed.
        @Nullable var similarity: Double?
        /// Only when the token may read the source's store.
        var snippet: String?
        var used = false

        func used(_ used: Bool) -> Citation {
            var citation = self
            citation.used = used
            return citation
        }
    }

    /// An answer: just given (`Citations` typed) or from the history (as stored).
    struct Answer<Citations: Encodable & Sendable>: Encodable, Sendable {
        let id: String
        let question: String
        let answer: String
        let mode: String
        let citations: Citations
        let created_at: Date

        init(_ record: QARecord, citations: Citations) {
            id = record.id.apiString
            question = record.question
            answer = record.answer
            mode = record.mode
            self.citations = citations
            created_at = record.createdAt
        }
    }
}
