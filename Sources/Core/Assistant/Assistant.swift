import Embedding
import Foundation
import LLM

/// A reply or an answer and how it was produced.
public struct AssistantOutput: Sendable {
    public var text: String
    /// "llm" or "offline".
    public var mode: String
    public var usage: TokenUsage?
    public var model: String?
    /// For answers: the retrieved sources the answer rests on, as indexes into
    /// `retrieval.memories + retrieval.context`.
    public var cited: [Int] = []
}

/// Chat replies and Q&A answers. With a language model configured it is asked, with the
/// retrieved memories and context in the prompt; without one, replies and answers are
/// built from what was retrieved, deterministically (see `docs/memories-chat-qa.md`).
public struct Assistant: Sendable {
    let model: (any LanguageModel)?
    let embedder: any Embedder

    public init(model: (any LanguageModel)?, embedder: any Embedder) {
        self.model = model
        self.embedder = embedder
    }

    public var mode: String { model == nil ? "offline" : "llm" }

    /// Sources as numbered lines for prompts and citations: memories first, then context.
    static func sources(_ retrieval: Retrieval) -> [String] {
        retrieval.memories.map { "(memory) \($0.memory.text)" } + retrieval.context.map { "(context: \($0.source)) \($0.text)" }
    }

    /// A chat reply to `message`, given the conversation so far (its last ten messages count) and
    /// what was retrieved; without a model, an offline reply built from the retrieval.
    public func reply(to message: String, history: [ChatMessageRecord], retrieval: Retrieval) async throws -> AssistantOutput {
        guard let model else { return Self.offlineReply(to: message, retrieval: retrieval) }
        let known = Self.sources(retrieval).enumerated().map { "[\($0.offset + 1)] \($0.element)" }.joined(separator: "\n")
        var messages: [LLM.ChatMessage] = [.system("""
            You are a helpful assistant that remembers the user. What you know that may be relevant:
            \(known.isEmpty ? "(nothing yet)" : known)
            Use it when it helps; do not invent facts about the user.
            """)]
        messages += history.suffix(10).map { $0.role == "assistant" ? .assistant($0.content) : .user($0.content) }
        messages.append(.user(message))
        let completion = try await model.complete(messages, options: ChatOptions(temperature: 0.3, maxTokens: 600))
        return AssistantOutput(text: completion.content, mode: "llm", usage: completion.usage, model: model.modelName)
    }

    /// Offline: what is known about the message, plainly.
    static func offlineReply(to message: String, retrieval: Retrieval) -> AssistantOutput {
        var lines = [String]()
        let facts = FactExtractor.facts(in: message)
        if !facts.isEmpty { lines.append("Noted: I'll remember that.") }
        let known = retrieval.memories.prefix(3).map(\.memory.text) + retrieval.context.prefix(2).map { String($0.text.prefix(300)) }
        if !known.isEmpty {
            lines.append("Here is what I know that may help:")
            lines += known.map { "- \($0)" }
        } else if facts.isEmpty {
            lines.append("I don't have anything stored about that yet.")
        }
        return AssistantOutput(text: lines.joined(separator: "\n"), mode: "offline")
    }
}
