import Foundation
import LLM
import Postgres

/// LLM mode of extraction: the model is asked for the durable facts about the user in what
/// they said, as `{"facts": ["…"]}`; each must be a short, non-empty sentence. Token usage is
/// recorded per call.
public struct LLMFactFinder: FactFinder {
    let model: any LanguageModel
    let pool: PostgresPool

    public init(model: any LanguageModel, pool: PostgresPool) {
        self.model = model
        self.pool = pool
    }

    public var mode: String { "llm" }

    struct Reply: Decodable {
        var facts: [String]
    }

    public func facts(in statements: [String], userID: String) async throws -> [String] {
        guard !statements.isEmpty else { return [] }
        let completion = try await model.completeJSON([
            .system("""
                You extract durable facts about the user from what they said: who they are, where they live and work,
                preferences, relationships, plans, health, habits. Ignore questions, requests and small talk. Write each
                fact as a short first-person sentence in the user's words ("I live in Lisbon."). Reply with a JSON object
                {"facts": ["…"]}; an empty list when there are none.
                """),
            .user(statements.map { "- \($0)" }.joined(separator: "\n")),
        ], as: Reply.self, options: ChatOptions(temperature: 0, maxTokens: 800)) { reply in
            guard reply.facts.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty && $0.count <= 300 }) else {
                throw LLMError.invalidStructuredOutput("facts must be non-empty sentences of at most 300 characters")
            }
        }
        try await pool.withConnection { [model] in
            try LLMUsageStore().record(
                userID: userID, purpose: "memory.extract", model: model.modelName,
                promptTokens: completion.usage.promptTokens, completionTokens: completion.usage.completionTokens, on: $0)
        }
        var seen = Set<String>()
        return completion.value.facts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { seen.insert($0.lowercased()).inserted }
    }
}
