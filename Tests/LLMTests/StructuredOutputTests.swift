import Foundation
import LLM
import Testing

/// What an extraction prompt might ask for.
private struct Facts: Decodable, Equatable, Sendable {
    struct Fact: Decodable, Equatable, Sendable {
        var text: String
        var confidence: Double
    }

    var facts: [Fact]
}

private struct EmptyFact: Error, CustomStringConvertible {
    var description: String { "a fact has empty text" }
}

private func nonEmpty(_ value: Facts) throws {
    if value.facts.contains(where: { $0.text.isEmpty }) { throw EmptyFact() }
}

private let prompt: [ChatMessage] = [
    .system(#"Extract facts as JSON: {"facts": [{"text": …, "confidence": …}]}"#), .user("I live in Lyon."),
]
private let lyon = #"{"facts": [{"text": "Lives in Lyon", "confidence": 0.9}]}"#

@Suite("Structured (JSON) output")
struct StructuredOutputTests {
    @Test func asksForAJSONObjectAndDecodesIt() async throws {
        let server = try await ChatCompletionsTestServer.answering(.completion(lyon, promptTokens: 20, completionTokens: 10))
        defer { Task { await server.stop() } }
        let result = try await makeClient(server).completeJSON(prompt, as: Facts.self, validate: nonEmpty)
        #expect(result.value.facts == [.init(text: "Lives in Lyon", confidence: 0.9)])
        #expect(result.attempts == 1)
        #expect(result.usage == TokenUsage(promptTokens: 20, completionTokens: 10, totalTokens: 30))
        let format = server.requests.first?.json["response_format"] as? [String: Any]
        #expect(format?["type"] as? String == "json_object")
    }

    @Test(arguments: [
        "```json\n\(lyon)\n```",
        "Sure! Here is the result:\n```\n\(lyon)\n```\nLet me know if you need more.",
        "Here you go: \(lyon) Hope that helps {really}.",
        "{not json} but then \(lyon)",
    ])
    func findsTheObjectInFencesAndProse(_ reply: String) async throws {
        let server = try await ChatCompletionsTestServer.answering(.completion(reply))
        defer { Task { await server.stop() } }
        let result = try await makeClient(server).completeJSON(prompt, as: Facts.self)
        #expect(result.value.facts.first?.text == "Lives in Lyon")
        #expect(server.requests.count == 1)
    }

    @Test func anInvalidReplyIsCorrectedOnceWithTheProblemAndTheReply() async throws {
        let server = try await ChatCompletionsTestServer.answering(
            .completion(#"{"facts": [{"text": "Lives in Lyon"}]}"#, promptTokens: 20, completionTokens: 8),
            .completion(lyon, promptTokens: 40, completionTokens: 10)
        )
        defer { Task { await server.stop() } }
        let result = try await makeClient(server).completeJSON(prompt, as: Facts.self, validate: nonEmpty)
        #expect(result.value.facts.first?.confidence == 0.9)
        #expect(result.attempts == 2)
        #expect(result.usage == TokenUsage(promptTokens: 60, completionTokens: 18, totalTokens: 78))
        #expect(server.requests.count == 2)

        let retry = server.requests[1].messages
        #expect(retry.count == prompt.count + 2)
        #expect(retry[2].role == "assistant" && retry[2].content == #"{"facts": [{"text": "Lives in Lyon"}]}"#)
        #expect(retry[3].role == "user")
        #expect(retry[3].content == "Your previous reply was not valid JSON for the schema: "
            + #"missing key "facts[0].confidence". Reply with only the JSON object."#)
    }

    @Test func aValueFailingValidationIsCorrectedToo() async throws {
        let server = try await ChatCompletionsTestServer.answering(
            .completion(#"{"facts": [{"text": "", "confidence": 1}]}"#), .completion(lyon)
        )
        defer { Task { await server.stop() } }
        let result = try await makeClient(server).completeJSON(prompt, as: Facts.self, validate: nonEmpty)
        #expect(result.value.facts.first?.text == "Lives in Lyon")
        #expect(server.requests[1].messages.last?.content.contains("the value is invalid: a fact has empty text") == true)
    }

    @Test func twoInvalidRepliesAreInvalidStructuredOutput() async throws {
        let server = try await ChatCompletionsTestServer.answering(.completion("I cannot do that."), .completion("Still no."))
        defer { Task { await server.stop() } }
        await #expect(throws: LLMError.invalidStructuredOutput("the reply contains no JSON object (after 2 attempts)")) {
            try await makeClient(server).completeJSON(prompt, as: Facts.self)
        }
        #expect(server.requests.count == 2)
    }

    @Test func aPromptThatNeverSaysJSONGetsAnInstructionThatDoes() async throws {
        let server = try await ChatCompletionsTestServer.answering(.completion(lyon))
        defer { Task { await server.stop() } }
        _ = try await makeClient(server).completeJSON([.user("What do I like?")], as: Facts.self)
        let last = try #require(server.requests.first?.messages.last)
        #expect(last.role == "system" && last.content.contains("JSON"))
    }

    @Test func httpErrorsAreNotTurnedIntoStructuredOutputErrors() async throws {
        let server = try await ChatCompletionsTestServer.answering(.error(401, message: "Incorrect API key provided"))
        defer { Task { await server.stop() } }
        await #expect(throws: LLMError.http(status: 401, message: "Incorrect API key provided")) {
            try await makeClient(server).completeJSON(prompt, as: Facts.self)
        }
        #expect(server.requests.count == 1)
    }

    @Test func worksThroughTheProtocolForScriptedModels() async throws {
        let model: any LanguageModel = ScriptedModel(replies: ["nope", lyon])
        let result = try await model.completeJSON(prompt, as: Facts.self)
        #expect(result.attempts == 2 && result.model == "scripted")
    }
}

/// A `LanguageModel` without a server: replies in order, as feature tests may use.
private actor ScriptedModel: LanguageModel {
    nonisolated let modelName = "scripted"
    private var replies: [String]

    init(replies: [String]) {
        self.replies = replies
    }

    func complete(_ messages: [ChatMessage], options: ChatOptions) async throws -> ChatCompletion {
        ChatCompletion(content: replies.removeFirst(), usage: .zero, model: modelName)
    }
}
