/// Sampling and format options of one chat completion request.
public struct ChatOptions: Sendable, Equatable {
    /// The shape the model is asked to reply in.
    public enum ResponseFormat: String, Sendable, Equatable {
        /// Free text (nothing is sent).
        case text
        /// `response_format: {"type": "json_object"}`: the model must reply with one JSON object.
        case jsonObject = "json_object"
    }

    /// Sampling temperature; nil leaves the server's default.
    public var temperature: Double?
    /// The most tokens the reply may have (`max_tokens`); nil leaves the server's default.
    public var maxTokens: Int?
    /// Free text by default; `completeJSON` always asks for `.jsonObject`.
    public var responseFormat: ResponseFormat

    public init(temperature: Double? = nil, maxTokens: Int? = nil, responseFormat: ResponseFormat = .text) {
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.responseFormat = responseFormat
    }
}
