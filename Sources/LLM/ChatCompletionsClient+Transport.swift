import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sending one request body with the configured timeout and retries.
extension ChatCompletionsClient {
    /// What one request came to.
    enum Outcome: Sendable {
        case success(Data)
        /// Worth another try (408, 409, 429, 5xx, timeout, connection error); `retryAfter` from the server.
        case retryable(LLMError, retryAfter: Duration?)
        /// Not worth another try (any other status, oversized body): see `LLMError.isFinal`.
        case final(LLMError)
    }

    /// What came back over the wire, whatever the status.
    struct RawResponse: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    /// Posts `body` until it succeeds, fails for good or the retries are spent.
    /// - Returns: the 200 response body and the number of requests made.
    func post(_ body: Data) async throws -> (Data, attempts: Int) {
        var retries = 0
        while true {
            switch try await send(body) {
            case .success(let data):
                return (data, retries + 1)
            case .final(let error):
                throw error
            case .retryable(let error, let retryAfter):
                guard retries < max(configuration.maxRetries, 0) else { throw error }
                retries += 1
                let delay = backoff(beforeRetry: retries, retryAfter: retryAfter)
                logger.warning("LLM request failed, retrying", metadata: [
                    "llm.model": "\(configuration.model)", "llm.retry": "\(retries)",
                    "llm.error": "\(error)", "llm.delay": "\(delay)",
                ])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// One request, bounded by the configured timeout from connecting to the last body byte.
    private func send(_ body: Data) async throws -> Outcome {
        let request = makeRequest(body)
        let timeout = configuration.timeout
        let client = self.client
        do {
            let response = try await Self.withDeadline(timeout) {
                let response = try await client.execute(request, timeout: Self.timeAmount(timeout))
                let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
                return RawResponse(
                    status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView)
                )
            }
            return Self.classify(response)
        } catch is RequestTimedOut {
            return .retryable(.timeout, retryAfter: nil)
        } catch let error as HTTPClientError where Self.timeoutErrors.contains(error) {
            return .retryable(.timeout, retryAfter: nil)
        } catch is NIOTooManyBytesError {
            return .final(.invalidResponse("response body larger than \(Self.maxResponseBytes) bytes"))
        } catch {
            try Task.checkCancellation()
            return .retryable(.connectionFailed(String(describing: error)), retryAfter: nil)
        }
    }

    private func makeRequest(_ body: Data) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: configuration.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        if let key = configuration.apiKey, !key.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(key)")
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    private static func classify(_ response: RawResponse) -> Outcome {
        if response.status == 200 { return .success(response.body) }
        let error = LLMError.http(status: response.status, message: errorMessage(response))
        guard LLMError.isTransient(status: response.status) else { return .final(error) }
        return .retryable(error, retryAfter: retryAfter(response.headers))
    }

    /// `Retry-After` in seconds (whole or decimal); HTTP dates and nonsense are ignored.
    private static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let text = headers.first(name: "Retry-After"),
              let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0
        else { return nil }
        return .seconds(seconds)
    }

    /// Exponential from `initialBackoff`, with jitter, lengthened to `retryAfter`, capped at `maxBackoff`.
    func backoff(beforeRetry retry: Int, retryAfter: Duration?) -> Duration {
        let exponential = configuration.initialBackoff * (1 << min(retry - 1, 20))
        let jittered = min(exponential, configuration.maxBackoff) * Double.random(in: 0.5...1)
        return min(max(jittered, retryAfter ?? .zero), configuration.maxBackoff)
    }

    private static let timeoutErrors: [HTTPClientError] = [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout]

    private static func errorMessage(_ response: RawResponse) -> String {
        if let body = try? JSONDecoder().decode(ChatCompletionsWire.ErrorBody.self, from: response.body),
           let message = body.message {
            return message
        }
        if response.body.isEmpty { return HTTPResponseStatus(statusCode: response.status).reasonPhrase }
        return preview(response.body)
    }

    /// Runs `operation`, cancelling it and throwing `RequestTimedOut` once `duration` has passed.
    /// async-http-client's own deadline stops at the response head; this one covers the body too.
    private static func withDeadline<T: Sendable>(
        _ duration: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: duration)
                throw RequestTimedOut()
            }
            defer { group.cancelAll() }
            guard let result = try await group.next() else { throw RequestTimedOut() }
            return result
        }
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// The per-request deadline passed.
struct RequestTimedOut: Error {}
