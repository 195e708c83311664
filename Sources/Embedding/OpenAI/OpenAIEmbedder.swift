import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Embeddings from an OpenAI-compatible `/v1/embeddings` service (OpenAI, vLLM, Ollama, TEI,
/// LocalAI, …), for deployments that prefer a hosted or shared model.
///
/// Large calls are split into requests of `batchSize` texts; each request has a timeout and is
/// retried with exponential backoff and jitter on 408, 429, 5xx and transport errors. Vectors
/// are checked against `dimension` and L2-normalised, so they obey the `Embedder` contract
/// whatever the server does.
public struct OpenAIEmbedder: Embedder {
    public let configuration: OpenAIEmbeddingConfiguration
    public var modelName: String { configuration.model }
    public var dimension: Int { configuration.dimension }

    private let client: HTTPClient
    /// Response bodies larger than this are refused (a batch of 64 × 3072 floats is ~4 MB).
    private static let maxResponseBytes = 64 << 20

    /// - Parameter httpClient: the client to send requests with; the process-wide shared client
    ///   by default, which never needs shutting down.
    public init(configuration: OpenAIEmbeddingConfiguration, httpClient: HTTPClient = .shared) throws {
        guard configuration.batchSize > 0, configuration.maxAttempts > 0, configuration.dimension > 0 else {
            throw EmbeddingError.invalidConfiguration("batch size, attempts and dimension must be positive")
        }
        guard URL(string: configuration.endpoint)?.host != nil,
              configuration.endpoint.hasPrefix("http://") || configuration.endpoint.hasPrefix("https://")
        else {
            throw EmbeddingError.invalidConfiguration("EMBEDDINGS_BASE_URL is not an http(s) URL: \(configuration.endpoint)")
        }
        self.configuration = configuration
        self.client = httpClient
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: configuration.batchSize) {
            let batch = Array(texts[start..<min(start + configuration.batchSize, texts.count)])
            vectors += try await embedBatch(batch)
        }
        return vectors
    }

    /// One request, retried as configured.
    private func embedBatch(_ texts: [String]) async throws -> [[Float]] {
        let body = try JSONEncoder().encode(OpenAIEmbeddingWire.Request(
            model: configuration.model, input: texts,
            dimensions: configuration.sendsDimensions ? configuration.dimension : nil
        ))
        var attempt = 1
        while true {
            let outcome = await send(body)
            switch outcome {
            case .success(let data):
                return try decode(data, expectedCount: texts.count)
            case .failure(let status, let message, let retryAfter):
                guard Self.isRetryable(status), attempt < configuration.maxAttempts else {
                    throw EmbeddingError.requestFailed(status: status, message: message, attempts: attempt)
                }
                try await Task.sleep(for: backoff(afterAttempt: attempt, retryAfter: retryAfter))
            case .unreachable(let message):
                try Task.checkCancellation()
                guard attempt < configuration.maxAttempts else {
                    throw EmbeddingError.transportFailed(message: message, attempts: attempt)
                }
                try await Task.sleep(for: backoff(afterAttempt: attempt, retryAfter: nil))
            }
            attempt += 1
        }
    }

    private enum Outcome {
        case success(Data)
        case failure(status: Int, message: String, retryAfter: Duration?)
        case unreachable(String)
    }

    private func send(_ body: Data) async -> Outcome {
        var request = HTTPClientRequest(url: configuration.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        if let key = configuration.apiKey, !key.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(key)")
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: Self.timeAmount(configuration.timeout))
            let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
            let data = Data(bytes.readableBytesView)
            let status = Int(response.status.code)
            guard status == 200 else {
                let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
                return .failure(status: status, message: Self.errorMessage(data, status: response.status), retryAfter: retryAfter)
            }
            return .success(data)
        } catch {
            return .unreachable(String(describing: error))
        }
    }

    private func decode(_ data: Data, expectedCount: Int) throws -> [[Float]] {
        let response: OpenAIEmbeddingWire.Response
        do {
            response = try JSONDecoder().decode(OpenAIEmbeddingWire.Response.self, from: data)
        } catch {
            throw EmbeddingError.invalidResponse("body is not an embeddings response: \(Self.preview(data))")
        }
        guard response.data.count == expectedCount else {
            throw EmbeddingError.invalidResponse("\(response.data.count) embeddings for \(expectedCount) inputs")
        }
        let ordered = response.data.enumerated().sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }
        return try ordered.map { item in
            guard item.element.embedding.count == dimension else {
                throw EmbeddingError.dimensionMismatch(expected: dimension, actual: item.element.embedding.count)
            }
            return Self.normalized(item.element.embedding)
        }
    }

    private func backoff(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        let exponential = configuration.initialBackoff * (1 << min(attempt - 1, 20))
        let jittered = min(exponential, configuration.maxBackoff) * Double.random(in: 0.5...1)
        return min(max(jittered, retryAfter ?? .zero), configuration.maxBackoff)
    }

    static func isRetryable(_ status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    private static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }

    private static func errorMessage(_ data: Data, status: HTTPResponseStatus) -> String {
        if let body = try? JSONDecoder().decode(OpenAIEmbeddingWire.ErrorBody.self, from: data), let message = body.message {
            return message
        }
        return data.isEmpty ? status.reasonPhrase : preview(data)
    }

    private static func preview(_ data: Data) -> String {
        String(decoding: data.prefix(200), as: UTF8.self)
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
