import Foundation
import LLM
import NIOPosix
import Postgres

/// LLM mode of extraction: the model is asked for the durable facts about the user in what
/// they said, as `{"facts": ["…"]}`; each must be a short, non-empty sentence. A conversation
/// whose prompt would exceed the model's `maxPromptCharacters` is asked about in batches
/// (`ExtractionBatches`), one request each, so no request is larger than the cap however long
/// the conversation. Every answered request is recorded in the caller's `UsageLog`.
public struct LLMFactFinder: FactFinder {
    let model: any LanguageModel

    public init(model: any LanguageModel) {
        self.model = model
    }

    public var mode: String { "llm" }

    static let instructions = """
        You extract durable facts about the user from what they said: who they are, where they live and work,
        preferences, relationships, plans, health, habits. Ignore questions, requests and small talk. Write each
        fact as a short first-person sentence in the user's words ("I live in Lisbon."). Reply with a JSON object
        {"facts": ["…"]}; an empty list when there are none.
        """

    struct Reply: Decodable {
        var facts: [String]
    }

    /// Asks the model about the statements batch by batch; a fact found again in a later batch
    /// (ignoring case) is kept once.
    public func facts(in statements: [String], spend: UsageLog) async throws -> [String] {
        guard !statements.isEmpty else { return [] }
        let budget = model.maxPromptCharacters - Self.instructions.count
        // Off the cooperative pool, as the rules are: a document's statements run to two
        // million characters.
        let batches = try await NIOThreadPool.singleton.runIfActive {
            ExtractionBatches.batches(of: statements, budget: budget)
        }
        let metered = UsageRecordingModel(model, log: spend)
        var found = [String]()
        var seen = Set<String>()
        for batch in batches {
            for fact in try await ask(metered, about: batch) where seen.insert(fact.lowercased()).inserted {
                found.append(fact)
            }
        }
        return found
    }

    /// One request (and its corrective retry, if the reply needs one).
    private func ask(_ model: UsageRecordingModel, about batch: [String]) async throws -> [String] {
        let completion = try await model.completeJSON([
            .system(Self.instructions),
            .user(ExtractionBatches.lines(batch)),
        ], as: Reply.self, options: ChatOptions(temperature: 0, maxTokens: 800)) { reply in
            guard reply.facts.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty && $0.count <= 300 }) else {
                throw LLMError.invalidStructuredOutput("facts must be non-empty sentences of at most 300 characters")
            }
        }
        return completion.value.facts.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
