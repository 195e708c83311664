import Settings
import Foundation

/// Where and how `ChatCompletionsClient` calls an OpenAI-compatible `/chat/completions`
/// endpoint, read from the environment in one place.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `LLM_BASE_URL` | OpenAI-compatible base URL, e.g. `https://api.openai.com/v1` | unset: offline mode |
/// | `LLM_API_KEY` | bearer token for that service | none |
/// | `LLM_MODEL` | the service's model name | required with `LLM_BASE_URL` |
/// | `LLM_TIMEOUT_SECONDS` | time allowed for one request (decimals allowed) | 60 |
/// | `LLM_MAX_RETRIES` | retries after the first request on 408, 409, 429, 5xx, timeouts and connection errors | 2 |
/// | `LLM_MAX_PROMPT_CHARACTERS` | the longest prompt built from user content (memory extraction); more is sent in several requests | 16000 |
public struct LLMConfiguration: Sendable, Equatable {
    /// The URL requests are posted to, e.g. `https://api.openai.com/v1/chat/completions`.
    public let endpoint: String
    /// Sent as `Authorization: Bearer …` when set. Never logged or printed.
    public var apiKey: String?
    /// The `model` field of every request.
    public var model: String
    /// Time allowed for one request, from connecting to the end of the response (default 60 s).
    /// Each retry gets the full time again.
    public var timeout: Duration = .seconds(60)
    /// Retries after the first request (default 2, so at most 3 requests per call).
    public var maxRetries = 2
    /// The delay before the first retry (default 0.5 s); it doubles with each retry, with
    /// jitter, up to `maxBackoff` (default 20 s). A `Retry-After` header lengthens the delay,
    /// but never beyond `maxBackoff`.
    public var initialBackoff: Duration = .milliseconds(500)
    public var maxBackoff: Duration = .seconds(20)
    /// The most characters (all messages' text together) of a prompt built from user content,
    /// such as memory extraction's: a longer conversation is sent in several requests. The
    /// default, about 4,000 tokens of English, leaves room for the reply in an 8K context
    /// window and keeps one request's cost bounded.
    public var maxPromptCharacters = LLMConfiguration.defaultMaxPromptCharacters

    /// `maxPromptCharacters` when `LLM_MAX_PROMPT_CHARACTERS` is not set.
    public static let defaultMaxPromptCharacters = 16_000
    /// The smallest `LLM_MAX_PROMPT_CHARACTERS` accepted: room for the instructions and a
    /// useful amount of conversation.
    public static let minimumMaxPromptCharacters = 1_000

    /// - Parameter baseURL: the API's base URL as OpenAI clients take it (`https://host/v1`);
    ///   see `endpoint(forBaseURL:)`.
    /// - Throws: `ConfigurationError` when `baseURL` is not an http(s) URL with a host
    ///   or `model` is empty.
    public init(baseURL: String, apiKey: String?, model: String) throws {
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://"),
              let host = URL(string: baseURL)?.host, !host.isEmpty
        else {
            throw ConfigurationError("LLM_BASE_URL is not an http(s) URL: \(baseURL)")
        }
        guard !model.isEmpty else {
            throw ConfigurationError("LLM_BASE_URL is set but LLM_MODEL is not")
        }
        self.endpoint = Self.endpoint(forBaseURL: baseURL)
        self.apiKey = apiKey
        self.model = model
    }

    /// Reads the variables in the table above; empty values count as unset.
    ///
    /// Returns nil when `LLM_BASE_URL` is unset: no LLM is configured and callers run in
    /// offline mode.
    /// - Throws: `ConfigurationError` when `LLM_BASE_URL` is set but malformed,
    ///   `LLM_MODEL` is missing, or a number is not a valid value.
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let value = { (name: String) -> String? in
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        guard let baseURL = value("LLM_BASE_URL") else { return nil }
        try self.init(baseURL: baseURL, apiKey: value("LLM_API_KEY"), model: value("LLM_MODEL") ?? "")
        if let text = value("LLM_TIMEOUT_SECONDS") {
            guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
                throw ConfigurationError("LLM_TIMEOUT_SECONDS must be a positive number, not \(text)")
            }
            timeout = .seconds(seconds)
        }
        if let text = value("LLM_MAX_RETRIES") {
            guard let retries = Int(text), retries >= 0 else {
                throw ConfigurationError("LLM_MAX_RETRIES must be a non-negative integer, not \(text)")
            }
            maxRetries = retries
        }
        if let text = value("LLM_MAX_PROMPT_CHARACTERS") {
            guard let characters = Int(text), characters >= Self.minimumMaxPromptCharacters else {
                throw ConfigurationError(
                    "LLM_MAX_PROMPT_CHARACTERS must be a whole number of at least \(Self.minimumMaxPromptCharacters), not \(text)")
            }
            maxPromptCharacters = characters
        }
    }

    /// The chat completions URL for a base URL: kept as is when it already ends in
    /// `/chat/completions`, `/v1/chat/completions` appended when it has no path
    /// (`http://host:8080`), otherwise `/chat/completions` appended
    /// (`https://api.openai.com/v1` → `…/v1/chat/completions`).
    public static func endpoint(forBaseURL baseURL: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/chat/completions") { return base }
        let afterScheme = base.range(of: "://").map { base[$0.upperBound...] } ?? base[...]
        return afterScheme.contains("/") ? base + "/chat/completions" : base + "/v1/chat/completions"
    }
}

extension LLMConfiguration: CustomStringConvertible {
    /// A description safe to log: the API key is never included.
    public var description: String {
        "LLMConfiguration(endpoint: \(endpoint), model: \(model), timeout: \(timeout), maxRetries: \(maxRetries), "
            + "maxPromptCharacters: \(maxPromptCharacters), apiKey: \(apiKey == nil ? "none" : "set"))"
    }
}
