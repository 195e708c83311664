import Foundation
import LLM
import TestSupport
import Testing

private struct FactList: Decodable, Sendable {
    var facts: [String]
}

/// `UsageRecordingModel` records every answered request, a corrective retry included, and
/// estimates what a service that reports no usage does not say.
@Suite("Usage recording model")
struct UsageRecordingModelTests {
    @Test func everyAnsweredRequestIsRecordedWithItsReportedUsage() async throws {
        let server = try await ChatCompletionsTestServer.answering(
            .completion("no JSON here", promptTokens: 5, completionTokens: 2),
            .completion(#"{"facts": ["I live in Lyon."]}"#, promptTokens: 7, completionTokens: 3)
        )
        defer { Task { await server.stop() } }
        let log = UsageLog()
        let model = UsageRecordingModel(try makeClient(server), log: log)
        let result = try await model.completeJSON([.user("Facts as JSON, please.")], as: FactList.self)
        #expect(result.value.facts == ["I live in Lyon."] && result.attempts == 2)
        #expect(log.calls == [
            MeteredCall(model: "test-model", usage: TokenUsage(promptTokens: 5, completionTokens: 2, totalTokens: 7), estimated: false),
            MeteredCall(model: "test-model", usage: TokenUsage(promptTokens: 7, completionTokens: 3, totalTokens: 10), estimated: false),
        ])
    }

    @Test func aServiceThatReportsNoUsageGetsAnEstimate() async throws {
        let body = #"{"choices":[{"message":{"role":"assistant","content":"hello there"}}]}"#
        let server = try await ChatCompletionsTestServer.answering(.init(status: 200, body: Data(body.utf8)))
        defer { Task { await server.stop() } }
        let log = UsageLog()
        let completion = try await UsageRecordingModel(try makeClient(server), log: log).complete([.system("Be brief."), .user("12345678")])
        // About 4 bytes a token, rounded up: "Be brief." 3, "12345678" 2, "hello there" 3.
        let estimate = TokenUsage(promptTokens: 5, completionTokens: 3, totalTokens: 8)
        #expect(completion.usage == estimate)
        #expect(log.calls == [MeteredCall(model: "test-model", usage: estimate, estimated: true)])
    }

    @Test func aFailedRequestRecordsNothing() async throws {
        let server = try await ChatCompletionsTestServer.answering(.error(400, message: "prompt too long"))
        defer { Task { await server.stop() } }
        let log = UsageLog()
        await #expect(throws: LLMError.self) {
            try await UsageRecordingModel(try makeClient(server), log: log).complete([.user("hi")])
        }
        #expect(log.calls.isEmpty)
    }

    @Test func theWrappedModelsPromptCapIsPassedOn() throws {
        var configuration = try LLMConfiguration(baseURL: "http://127.0.0.1:9/v1", apiKey: nil, model: "m")
        configuration.maxPromptCharacters = 4321
        let model = UsageRecordingModel(ChatCompletionsClient(configuration: configuration), log: UsageLog())
        #expect(model.maxPromptCharacters == 4321)
    }
}
