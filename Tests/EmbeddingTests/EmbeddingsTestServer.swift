import Foundation
import TestSupport

/// The OpenAI `/v1/embeddings` protocol on a `LocalHTTPServer`, for testing `OpenAIEmbedder`.
enum EmbeddingsTestServer {
    /// Decides the answer to the `index`th request (from 0); nil means never answer.
    typealias Script = @Sendable (_ index: Int, _ request: LocalHTTPServer.Request) -> LocalHTTPServer.Response?

    static func start(_ script: @escaping Script) async throws -> LocalHTTPServer {
        try await LocalHTTPServer.start(basePath: "/v1", script)
    }
}

extension LocalHTTPServer.Request {
    /// The `input` texts of an embeddings request.
    var inputs: [String] { json["input"] as? [String] ?? [] }
}

extension LocalHTTPServer.Response {
    /// A valid embeddings response. For an input that is a number `n` the vector is
    /// `2 · e(n mod dimension)` (not normalised, to check that the client normalises).
    static func embeddings(for inputs: [String], dimension: Int = 384, reversed: Bool = false) -> Self {
        var items = inputs.enumerated().map { index, text -> [String: Any] in
            var vector = [Double](repeating: 0, count: dimension)
            vector[(Int(text) ?? index) % dimension] = 2
            return ["object": "embedding", "index": index, "embedding": vector]
        }
        if reversed { items.reverse() }
        return .json(["object": "list", "model": "test", "data": items])
    }

    /// An OpenAI-style error.
    static func error(_ status: Int, message: String, headers: [String: String] = [:]) -> Self {
        .json(["error": ["message": message, "type": "test"]], status: status, headers: headers)
    }
}
