import AsyncHTTPClient
import Foundation
import Logging

/// A `LanguageModel` served by an OpenAI-compatible `/v1/chat/completions` endpoint (OpenAI,
/// vLLM, Ollama, LM Studio, LocalAI, llama.cpp server, …).
///
/// Each request has the configured timeout; 408, 409, 429 (honouring `Retry-After`), 5xx,
/// timeouts and connection errors are retried with exponential backoff and jitter; any other
/// status (400, 401, 404, 413, 422, …) fails at once with the server's message, since asking
/// again gets the same answer (`LLMError.isFinal`). Every completion reports the tokens it
/// cost. Requests and replies are never logged, nor is the API key.
public struct ChatCompletionsClient: LanguageModel {
    public let configuration: LLMConfiguration
    public var modelName: String { configuration.model }
    public var maxPromptCharacters: Int { configuration.maxPromptCharacters }

    let client: HTTPClient
    let logger: Logger
    /// Response bodies larger than this are refused.
    static let maxResponseBytes = 16 << 20

    /// - Parameters:
    ///   - httpClient: the client to send requests with; the process-wide shared client by
    ///     default, which never needs shutting down.
    ///   - logger: receives a warning per retry and a debug line per call, with the model,
    ///     attempt, status and token counts (never message text or the key).
    public init(
        configuration: LLMConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "context0.llm")
    ) {
        self.configuration = configuration
        self.client = httpClient
        self.logger = logger
    }

    public func complete(_ messages: [ChatMessage], options: ChatOptions) async throws -> ChatCompletion {
        let body = try JSONEncoder().encode(ChatCompletionsWire.Request(
            model: configuration.model, messages: messages, options: options
        ))
        let start = ContinuousClock.now
        let (data, attempts) = try await post(body)
        let elapsed = ContinuousClock.now - start
        let completion = try decode(data)
        logger.debug("LLM call completed", metadata: [
            "llm.model": "\(completion.model)",
            "llm.attempts": "\(attempts)",
            "llm.prompt_tokens": "\(completion.usage.promptTokens)",
            "llm.completion_tokens": "\(completion.usage.completionTokens)",
            "llm.duration": "\(elapsed)",
        ])
        return completion
    }

    private func decode(_ data: Data) throws -> ChatCompletion {
        let response: ChatCompletionsWire.Response
        do {
            response = try JSONDecoder().decode(ChatCompletionsWire.Response.self, from: data)
        } catch {
            throw LLMError.invalidResponse("body is not a chat completion: \(Self.preview(data))")
        }
        guard let choice = response.choices.first else {
            throw LLMError.invalidResponse("the completion has no choices")
        }
        guard let content = choice.message.content else {
            if let refusal = choice.message.refusal {
                throw LLMError.invalidResponse("the model refused: \(refusal)")
            }
            throw LLMError.invalidResponse("the first choice has no text (finish_reason: \(choice.finishReason ?? "none"))")
        }
        return ChatCompletion(
            content: content, usage: TokenUsage(response.usage),
            model: response.model ?? configuration.model, finishReason: choice.finishReason
        )
    }

    static func preview(_ data: Data) -> String {
        String(decoding: data.prefix(200), as: UTF8.self)
    }
}
