import Embedding
import Foundation
import LLM

extension Assistant {
    struct ModelAnswer: Decodable {
        var answer: String
        var citations: [Int]
    }

    /// Answers a question from the retrieved sources, citing them.
    public func answer(_ question: String, questionEmbedding: [Float], retrieval: Retrieval) async throws -> AssistantOutput {
        let sources = Self.sources(retrieval)
        guard !sources.isEmpty else {
            return AssistantOutput(text: "I could not find anything about that in your memories or context.", mode: mode)
        }
        guard let model else { return try await extractiveAnswer(questionEmbedding: questionEmbedding, retrieval: retrieval) }
        let numbered = sources.enumerated().map { "[\($0.offset + 1)] \($0.element)" }.joined(separator: "\n")
        let completion = try await model.completeJSON([
            .system("""
                Answer the user's question using only the numbered sources. Reply with a JSON object
                {"answer": "<the answer>", "citations": [<numbers of the sources used>]}. If the sources do not
                contain the answer, say so in "answer" and cite nothing.
                """),
            .user("Sources:\n\(numbered)\n\nQuestion: \(question)"),
        ], as: ModelAnswer.self, options: ChatOptions(temperature: 0, maxTokens: 600)) { reply in
            guard !reply.answer.isEmpty else { throw LLMError.invalidStructuredOutput("answer is empty") }
            guard reply.citations.allSatisfy({ (1...sources.count).contains($0) }) else {
                throw LLMError.invalidStructuredOutput("citations must be numbers from 1 to \(sources.count)")
            }
        }
        return AssistantOutput(
            text: completion.value.answer, mode: "llm", usage: completion.usage, model: model.modelName,
            cited: completion.value.citations.map { $0 - 1 })
    }

    /// Offline: the sentence of the retrieved sources closest in meaning to the question,
    /// among at most `AnswerCandidates.limit` of their sentences.
    func extractiveAnswer(questionEmbedding: [Float], retrieval: Retrieval) async throws -> AssistantOutput {
        let texts = retrieval.memories.map(\.memory.text) + retrieval.context.map(\.text)
        let sentences = AnswerCandidates.pick(from: texts)
        guard !sentences.isEmpty else {
            return AssistantOutput(text: "I could not find an answer in your memories or context.", mode: "offline")
        }
        let vectors = try await embedder.embed(sentences.map(\.text))
        let scored = zip(sentences, vectors).map { sentence, vector in
            (sentence, zip(vector, questionEmbedding).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        }
        guard let best = scored.max(by: { $0.1 < $1.1 }), best.1 >= 0.2 else {
            return AssistantOutput(text: "I could not find an answer in your memories or context.", mode: "offline")
        }
        return AssistantOutput(text: best.0.text, mode: "offline", cited: [best.0.source])
    }
}
