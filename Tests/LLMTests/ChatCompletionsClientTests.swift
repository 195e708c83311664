import Foundation
import LLM
import TestSupport
import Testing

/// A client for `server` with short backoffs, so the suite stays fast.
func makeClient(
    _ server: LocalHTTPServer, apiKey: String? = "sk-test-key",
    configure: (inout LLMConfiguration) -> Void = { _ in }
) throws -> ChatCompletionsClient {
    var configuration = try LLMConfiguration(baseURL: server.baseURL, apiKey: apiKey, model: "test-model")
    // A minute: only the tests about time-outs want one to fire, and they set their own.
    configuration.timeout = .seconds(60)
    configuration.maxRetries = 3
    configuration.initialBackoff = .milliseconds(10)
    configuration.maxBackoff = .milliseconds(50)
    configure(&configuration)
    return ChatCompletionsClient(configuration: configuration)
}

@Suite("Chat completions client against a local /v1/chat/completions server")
struct ChatCompletionsClientTests {
    @Test func returnsTheReplyWithTokenUsageAndTheServedModel() async throws {
        let server = try await ChatCompletionsTestServer.answering(
            .completion("Hello!", model: "served-model", promptTokens: 12, completionTokens: 3)
        )
        defer { Task { await server.stop() } }
        let completion = try await makeClient(server).complete(
            [.system("Be brief."), .user("Hi"), .assistant("Hello."), .user("Again")],
            options: ChatOptions(temperature: 0.2, maxTokens: 64)
        )
        #expect(completion.content == "Hello!")
        #expect(completion.usage == TokenUsage(promptTokens: 12, completionTokens: 3, totalTokens: 15))
        #expect(completion.model == "served-model")
        #expect(completion.finishReason == "stop")

        let request = try #require(server.requests.first)
        #expect(request.method == "POST" && request.uri == "/v1/chat/completions")
        #expect(request.json["model"] as? String == "test-model")
        #expect(request.json["temperature"] as? Double == 0.2)
        #expect(request.json["max_tokens"] as? Int == 64)
        #expect(request.json["response_format"] == nil)
        #expect(request.messages.map(\.role) == ["system", "user", "assistant", "user"])
        #expect(request.messages.map(\.content) == ["Be brief.", "Hi", "Hello.", "Again"])
    }

    @Test func theAuthorizationHeaderCarriesTheKey() async throws {
        let server = try await ChatCompletionsTestServer.answering(.completion("ok"))
        defer { Task { await server.stop() } }
        _ = try await makeClient(server, apiKey: "sk-secret-123").complete([.user("hi")])
        _ = try await makeClient(server, apiKey: nil).complete([.user("hi")])
        #expect(server.requests.map { $0.headers["authorization"] } == ["Bearer sk-secret-123", nil])
    }

    @Test func retriesA429AfterItsRetryAfterSeconds() async throws {
        let server = try await ChatCompletionsTestServer.answering(
            .error(429, message: "Rate limit reached", headers: ["Retry-After": "1"]), .completion("ok")
        )
        defer { Task { await server.stop() } }
        let start = ContinuousClock.now
        let completion = try await makeClient(server) { $0.maxBackoff = .seconds(3) }.complete([.user("hi")])
        #expect(completion.content == "ok")
        #expect(server.requests.count == 2)
        #expect(ContinuousClock.now - start >= .seconds(1))
    }

    @Test(.timeLimit(.minutes(2))) func aLongRetryAfterIsCappedAtTheMaximumBackoff() async throws {
        let server = try await ChatCompletionsTestServer.answering(
            .error(429, message: "slow down", headers: ["Retry-After": "3600"]), .completion("ok")
        )
        defer { Task { await server.stop() } }
        _ = try await makeClient(server) { $0.maxBackoff = .milliseconds(100) }.complete([.user("hi")])
        let requests = server.requests
        try #require(requests.count == 2)
        // The server asked for an hour and the cap is 100 ms: a minute tells them apart however
        // busy the machine is (the time limit fails a client that really waits the hour).
        #expect(requests[1].receivedAt.timeIntervalSince(requests[0].receivedAt) < 60)
    }

    @Test func retriesServerErrorsThenSucceeds() async throws {
        let server = try await ChatCompletionsTestServer.answering(
            .error(500, message: "boom"), .error(503, message: "overloaded"), .completion("recovered")
        )
        defer { Task { await server.stop() } }
        let completion = try await makeClient(server).complete([.user("hi")])
        #expect(completion.content == "recovered")
        #expect(server.requests.count == 3)
    }

    @Test func givesUpWithTheLastServerErrorOnceTheRetriesAreSpent() async throws {
        let server = try await ChatCompletionsTestServer.answering(.error(502, message: "bad gateway"))
        defer { Task { await server.stop() } }
        await #expect(throws: LLMError.http(status: 502, message: "bad gateway")) {
            try await makeClient(server) { $0.maxRetries = 2 }.complete([.user("hi")])
        }
        #expect(server.requests.count == 3)
    }

    @Test func clientErrorsAreNotRetriedAndCarryTheServersMessage() async throws {
        let server = try await ChatCompletionsTestServer.answering(
            .error(400, message: "'messages' must contain the word 'json'"), .completion("never")
        )
        defer { Task { await server.stop() } }
        await #expect(throws: LLMError.http(status: 400, message: "'messages' must contain the word 'json'")) {
            try await makeClient(server).complete([.user("hi")])
        }
        #expect(server.requests.count == 1)
    }

    /// 408 and 409 say "not now", like 429: worth another try.
    @Test(arguments: [408, 409])
    func requestTimeoutAndConflictAreRetried(_ status: Int) async throws {
        let server = try await ChatCompletionsTestServer.answering(.error(status, message: "try again"), .completion("ok"))
        defer { Task { await server.stop() } }
        let completion = try await makeClient(server).complete([.user("hi")])
        #expect(completion.content == "ok")
        #expect(server.requests.count == 2)
    }

    /// Every other 4xx is the service's final word on the request: sent once, never again.
    @Test(arguments: [400, 401, 403, 404, 413, 422])
    func otherClientErrorsAreFinalAndSentOnce(_ status: Int) async throws {
        let server = try await ChatCompletionsTestServer.answering(.error(status, message: "refused"), .completion("never"))
        defer { Task { await server.stop() } }
        do {
            _ = try await makeClient(server).complete([.user("hi")])
            Issue.record("no error")
        } catch let error as LLMError {
            #expect(error == .http(status: status, message: "refused"))
            #expect(error.isFinal)
        }
        #expect(server.requests.count == 1)
    }

    /// A client that never timed out would hang: the time limit fails it.
    @Test(.timeLimit(.minutes(2))) func aServerThatNeverAnswersTimesOutAfterTheConfiguredTime() async throws {
        let server = try await ChatCompletionsTestServer.start { _, _ in nil }
        defer { Task { await server.stop() } }
        let start = ContinuousClock.now
        await #expect(throws: LLMError.timeout) {
            try await makeClient(server) { $0.timeout = .milliseconds(300); $0.maxRetries = 1 }.complete([.user("hi")])
        }
        // Two attempts of 300 ms each: timers fire late on a busy machine, never early, so
        // this holds only if the client tried twice. (What the server saw proves nothing: on
        // a busy machine an attempt can time out before its request has reached it.)
        #expect(ContinuousClock.now - start >= .milliseconds(600))
    }

    /// A client that waited forever for the body would hang: the time limit fails it.
    @Test(.timeLimit(.minutes(2))) func aServerThatStallsAfterTheHeadTimesOutToo() async throws {
        let stalled = ChatCompletionsTestServer.Response(status: 200, body: Data("{}".utf8), stallsAfterHead: true)
        let server = try await ChatCompletionsTestServer.answering(stalled)
        defer { Task { await server.stop() } }
        await #expect(throws: LLMError.timeout) {
            try await makeClient(server) { $0.timeout = .milliseconds(300); $0.maxRetries = 0 }.complete([.user("hi")])
        }
    }

    @Test func anUnreachableServerIsAConnectionFailureAfterTheRetries() async throws {
        let server = try await ChatCompletionsTestServer.start { _, _ in nil }
        await server.stop()
        do {
            _ = try await makeClient(server) { $0.timeout = .milliseconds(300); $0.maxRetries = 1 }.complete([.user("hi")])
            Issue.record("no error")
        } catch LLMError.connectionFailed, LLMError.timeout {
            // async-http-client may keep reconnecting until the deadline: either is right.
        }
    }

    @Test func aBodyThatIsNotAChatCompletionIsAnInvalidResponse() async throws {
        let server = try await ChatCompletionsTestServer.answering(.init(status: 200, body: Data("hello".utf8)))
        defer { Task { await server.stop() } }
        await #expect(throws: LLMError.invalidResponse("body is not a chat completion: hello")) {
            try await makeClient(server).complete([.user("hi")])
        }
        #expect(server.requests.count == 1)
    }

    @Test func aMissingUsageIsRecordedAsZero() async throws {
        let body = #"{"choices":[{"message":{"role":"assistant","content":"hi"}}]}"#
        let server = try await ChatCompletionsTestServer.answering(.init(status: 200, body: Data(body.utf8)))
        defer { Task { await server.stop() } }
        let completion = try await makeClient(server).complete([.user("hi")])
        #expect(completion.usage == .zero)
        #expect(completion.model == "test-model")
    }
}
