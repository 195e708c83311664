import Foundation
import Postgres

/// One answered question of a user's history; `citations` is JSON text.
public struct QARecord: Sendable, Equatable {
    public var id: UUID
    public var question: String
    public var answer: String
    public var mode: String
    public var citations: String
    public var createdAt: Date

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        question = try row.decode("question")
        answer = try row.decode("answer")
        mode = try row.decode("mode")
        citations = try row.decode("citations", as: PostgresJSON.self).text
        createdAt = try row.decode("created_at")
    }
}

/// Every statement on `qa_history` and `llm_calls`.
public struct QAStore: Sendable {
    public init() {}

    /// Adds an answered question to the user's history.
    public func record(userID: String, question: String, answer: String, mode: String, citations: PostgresJSON, on connection: PostgresConnection) throws -> QARecord {
        try QARecord(row: connection.query("""
            INSERT INTO qa_history (id, user_id, question, answer, mode, citations)
            VALUES (\(UUID()), \(userID), \(question), \(answer), \(mode), \(citations))
            RETURNING id, question, answer, mode, citations, created_at
            """).first!)
    }

    /// A page of the user's answered questions, newest first, and how many they have in all.
    public func history(userID: String, limit: Int, skip: Int, on connection: PostgresConnection) throws -> (records: [QARecord], total: Int) {
        let results = try connection.pipeline([
            """
            SELECT id, question, answer, mode, citations, created_at FROM qa_history WHERE user_id = \(userID)
            ORDER BY created_at DESC, id LIMIT \(limit) OFFSET \(skip)
            """,
            "SELECT count(*) AS total FROM qa_history WHERE user_id = \(userID)",
        ])
        return (try results[0].rows.map(QARecord.init(row:)), try results[1].first!.decode("total"))
    }
}

/// Token usage of LLM calls, per user and purpose.
public struct LLMUsageStore: Sendable {
    public init() {}

    /// Adds one call to `llm_calls`. Meters nothing: the caller adds the tokens to `llm_tokens`.
    public func record(userID: String, purpose: String, model: String, promptTokens: Int, completionTokens: Int, on connection: PostgresConnection) throws {
        try connection.query("""
            INSERT INTO llm_calls (user_id, purpose, model, prompt_tokens, completion_tokens)
            VALUES (\(userID), \(purpose), \(model), \(promptTokens), \(completionTokens))
            """)
    }
}
