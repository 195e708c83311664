import Embedding
import Foundation
import TestSupport
import Testing

@Suite("OpenAI-compatible embedder against a local /v1/embeddings server")
struct OpenAIEmbedderTests {
    private func embedder(
        _ server: LocalHTTPServer, apiKey: String? = "test-key",
        configure: (inout OpenAIEmbeddingConfiguration) -> Void = { _ in }
    ) throws -> OpenAIEmbedder {
        var configuration = OpenAIEmbeddingConfiguration(baseURL: server.baseURL, apiKey: apiKey, model: "test-model")
        configuration.initialBackoff = .milliseconds(10)
        configuration.maxBackoff = .milliseconds(50)
        // A minute: only the tests about time-outs want one to fire, and they set their own.
        configuration.timeout = .seconds(60)
        configure(&configuration)
        return try OpenAIEmbedder(configuration: configuration)
    }

    @Test func splitsIntoBatchesKeepsOrderAndNormalises() async throws {
        let server = try await EmbeddingsTestServer.start { _, request in
            .embeddings(for: request.inputs, reversed: true)
        }
        defer { Task { await server.stop() } }
        let texts = (0..<5).map(String.init)
        let vectors = try await embedder(server) { $0.batchSize = 2 }.embed(texts)
        #expect(vectors.count == 5)
        for (index, vector) in vectors.enumerated() {
            #expect(vector.count == 384)
            #expect(vector[index] == 1)
            #expect(abs(VectorMath.norm(vector) - 1) < 1e-6)
        }
        let requests = server.requests
        #expect(requests.map(\.inputs) == [["0", "1"], ["2", "3"], ["4"]])
        #expect(requests.allSatisfy { $0.method == "POST" && $0.uri == "/v1/embeddings" })
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer test-key" })
        #expect(requests[0].json["model"] as? String == "test-model")
        #expect(requests[0].json["encoding_format"] as? String == "float")
        #expect(requests[0].json["dimensions"] == nil)
    }

    @Test func retriesAfter429ThenSucceeds() async throws {
        let server = try await EmbeddingsTestServer.start { index, request in
            index == 0 ? .error(429, message: "Rate limit reached", headers: ["Retry-After": "0"]) : .embeddings(for: request.inputs)
        }
        defer { Task { await server.stop() } }
        let vectors = try await embedder(server).embed(["7"])
        #expect(vectors.first?[7] == 1)
        #expect(server.requests.count == 2)
    }

    @Test func gives5xxUpAfterTheConfiguredAttempts() async throws {
        let server = try await EmbeddingsTestServer.start { _, _ in .error(503, message: "overloaded") }
        defer { Task { await server.stop() } }
        await #expect(throws: EmbeddingError.requestFailed(status: 503, message: "overloaded", attempts: 3)) {
            try await embedder(server) { $0.maxAttempts = 3 }.embed(["a"])
        }
        #expect(server.requests.count == 3)
    }

    @Test func clientErrorsAreNotRetriedAndCarryTheServersMessage() async throws {
        let server = try await EmbeddingsTestServer.start { _, _ in .error(401, message: "Incorrect API key provided") }
        defer { Task { await server.stop() } }
        await #expect(throws: EmbeddingError.requestFailed(status: 401, message: "Incorrect API key provided", attempts: 1)) {
            try await embedder(server, apiKey: "wrong").embed(["a"])
        }
        #expect(server.requests.count == 1)
    }

    @Test func vectorsOfTheWrongDimensionAreRejected() async throws {
        let server = try await EmbeddingsTestServer.start { _, request in .embeddings(for: request.inputs, dimension: 8) }
        defer { Task { await server.stop() } }
        await #expect(throws: EmbeddingError.dimensionMismatch(expected: 384, actual: 8)) {
            try await embedder(server).embed(["1"])
        }
    }

    @Test func aBodyThatIsNotAnEmbeddingsResponseIsInvalid() async throws {
        let server = try await EmbeddingsTestServer.start { _, _ in .init(status: 200, body: Data("hello".utf8)) }
        defer { Task { await server.stop() } }
        await #expect(throws: EmbeddingError.invalidResponse("body is not an embeddings response: hello")) {
            try await embedder(server).embed(["1"])
        }
    }

    /// A client that never timed out would hang: the time limit fails it.
    @Test(.timeLimit(.minutes(2))) func aServerThatNeverAnswersTimesOut() async throws {
        let server = try await EmbeddingsTestServer.start { _, _ in nil }
        defer { Task { await server.stop() } }
        do {
            _ = try await embedder(server) { $0.timeout = .milliseconds(300); $0.maxAttempts = 2 }.embed(["1"])
            Issue.record("no error")
        } catch let EmbeddingError.transportFailed(_, attempts) {
            #expect(attempts == 2)
        }
        // What the server saw proves nothing here: on a busy machine an attempt can time out
        // before its request has reached it. The client's own count of attempts is the check.
    }

    @Test func anUnreachableServerIsATransportError() async throws {
        let server = try await EmbeddingsTestServer.start { _, _ in nil }
        await server.stop()
        do {
            // async-http-client keeps reconnecting until the request's deadline: keep it short.
            _ = try await embedder(server) { $0.maxAttempts = 2; $0.timeout = .milliseconds(500) }.embed(["1"])
            Issue.record("no error")
        } catch let EmbeddingError.transportFailed(_, attempts) {
            #expect(attempts == 2)
        }
    }

    @Test func sendsDimensionsAndNoKeyWhenSoConfigured() async throws {
        let server = try await EmbeddingsTestServer.start { _, request in .embeddings(for: request.inputs, dimension: 256) }
        defer { Task { await server.stop() } }
        let vectors = try await embedder(server, apiKey: nil) { $0.dimension = 256; $0.sendsDimensions = true }.embed(["3"])
        #expect(vectors.first?.count == 256)
        #expect(server.requests.first?.json["dimensions"] as? Int == 256)
        #expect(server.requests.first?.headers["authorization"] == nil)
    }

    @Test func recordsFromARemoteEmbedderHaveNoTokenIDs() async throws {
        let server = try await EmbeddingsTestServer.start { _, request in .embeddings(for: request.inputs) }
        defer { Task { await server.stop() } }
        let records = try await EmbeddingRecord.records(for: ["5"], using: embedder(server))
        #expect(records.first?.tokenIDs == nil)
        #expect(records.first?.jsonLine().hasPrefix("{\"text\": \"5\", \"token_ids\": null, \"embedding\": [0.0, ") == true)
    }
}
