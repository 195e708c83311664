/// Everything that can go wrong while configuring or calling a language model.
///
/// Messages carry what the server said or what was wrong with its reply, never the API key.
public enum LLMError: Error, Equatable, Sendable {
    /// The configuration is incomplete or malformed (bad `LLM_BASE_URL`, missing `LLM_MODEL`, …).
    case invalidConfiguration(String)
    /// The service answered with an HTTP error: any 4xx but 429 at once, 429 and 5xx once the
    /// retries are spent. `message` is the server's own error message when it gave one.
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
        case .invalidConfiguration(let message):
            return "invalid LLM configuration: \(message)"
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
