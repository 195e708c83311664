import Foundation
import TestSupport

/// The OpenAI `/v1/chat/completions` protocol on a `LocalHTTPServer`, for testing
/// `ChatCompletionsClient`.
enum ChatCompletionsTestServer {
    typealias Response = LocalHTTPServer.Response
    /// Decides the answer to the `index`th request (from 0); nil means never answer.
    typealias Script = @Sendable (_ index: Int, _ request: LocalHTTPServer.Request) -> Response?

    static func start(_ script: @escaping Script) async throws -> LocalHTTPServer {
        try await LocalHTTPServer.start(basePath: "/v1", script)
    }

    /// A server answering every request with the next of `responses` (the last one repeats).
    static func answering(_ responses: Response...) async throws -> LocalHTTPServer {
        try await start { index, _ in responses[min(index, responses.count - 1)] }
    }
}

extension LocalHTTPServer.Request {
    /// The `messages` of a chat completion request, as (role, content) pairs.
    var messages: [(role: String, content: String)] {
        let items = json["messages"] as? [[String: Any]] ?? []
        return items.map { ($0["role"] as? String ?? "", $0["content"] as? String ?? "") }
    }
}

extension LocalHTTPServer.Response {
    /// A successful chat completion whose first choice says `content`.
    static func completion(_ content: String, model: String = "served-model", promptTokens: Int = 11, completionTokens: Int = 7) -> Self {
        .json([
            "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
            "choices": [["index": 0, "message": ["role": "assistant", "content": content], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": promptTokens, "completion_tokens": completionTokens, "total_tokens": promptTokens + completionTokens],
        ])
    }

    /// An OpenAI-style error.
    static func error(_ status: Int, message: String, headers: [String: String] = [:]) -> Self {
        .json(["error": ["message": message, "type": "test"]], status: status, headers: headers)
    }
}
