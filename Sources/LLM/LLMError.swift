
/// Everything that can go wrong while calling a language model (a bad configuration is a
/// `ConfigurationError`, found at start-up).
///
/// Messages carry what the server said or what was wrong with its reply, never the API key.
public enum LLMError: Error, Equatable, Sendable {
    /// The service answered with an HTTP error: at once for a final status (see `isFinal`),
    /// once the retries are spent for 408, 409, 429 and 5xx. `message` is the server's own
    /// error message when it gave one.
    case http(status: Int, message: String)
    /// The last request did not complete within the configured timeout.
    case timeout
    /// The service could not be reached, or the connection broke, on every attempt.
    case connectionFailed(String)
    /// The service answered 200 with a body that is not a chat completion.
    case invalidResponse(String)
    /// The model's reply was not JSON that decodes into the requested type and passes its
    /// validation, even after one corrective retry.
    case invalidStructuredOutput(String)
}

extension LLMError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .http(let status, let message):
            return "LLM request failed with HTTP \(status): \(message)"
        case .timeout:
            return "LLM request timed out"
        case .connectionFailed(let message):
            return "LLM service unreachable: \(message)"
        case .invalidResponse(let message):
            return "invalid LLM response: \(message)"
        case .invalidStructuredOutput(let message):
            return "LLM reply is not valid structured output: \(message)"
        }
    }
}

extension LLMError {
    /// Whether asking again cannot help: the service refused the request itself (a 4xx other
    /// than 408, 409 and 429: a prompt too long for the model, a bad key, an unknown model, …,
    /// or any other status but 5xx). The client does not retry
    /// these, and a job that meets one fails for good instead of being retried by the queue.
    public var isFinal: Bool {
        switch self {
        case .http(let status, _): return !Self.isTransient(status: status)
        case .timeout, .connectionFailed, .invalidResponse, .invalidStructuredOutput: return false
        }
    }

    /// 408 (request timeout), 409 (conflict), 429 (too many requests) and every 5xx: worth
    /// another try, later. Every other status is the service's final word on the request.
    public static func isTransient(status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || (500...599).contains(status)
    }
}
