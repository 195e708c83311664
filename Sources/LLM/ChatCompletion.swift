/// Tokens one call consumed, as the service reported them, for recording usage per call.
public struct TokenUsage: Sendable, Equatable, Hashable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens
    }

    /// No tokens; also what a service that reports no usage is recorded as.
    public static let zero = TokenUsage(promptTokens: 0, completionTokens: 0, totalTokens: 0)

    /// The usage of two calls together (a structured call and its corrective retry).
    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(
            promptTokens: lhs.promptTokens + rhs.promptTokens,
            completionTokens: lhs.completionTokens + rhs.completionTokens,
            totalTokens: lhs.totalTokens + rhs.totalTokens
        )
    }
}

/// The model's reply to one chat completion request.
public struct ChatCompletion: Sendable, Equatable {
    /// The text of the first choice.
    public var content: String
    /// Tokens the call consumed; `.zero` when the service did not say.
    public var usage: TokenUsage
    /// The model that answered, as the service names it (the configured model when it does not say).
    public var model: String
    /// Why the model stopped (`stop`, `length`, …), when the service says.
    public var finishReason: String?

    public init(content: String, usage: TokenUsage, model: String, finishReason: String? = nil) {
        self.content = content
        self.usage = usage
        self.model = model
        self.finishReason = finishReason
    }
}

/// A reply decoded into `T` and validated, with what producing it cost.
public struct StructuredCompletion<Value> {
    /// The decoded, validated value.
    public var value: Value
    /// Tokens of every request made for it, the corrective retry included.
    public var usage: TokenUsage
    /// The model that produced the accepted reply.
    public var model: String
    /// Chat completion requests made: 1, or 2 when the first reply had to be corrected.
    public var attempts: Int

    public init(value: Value, usage: TokenUsage, model: String, attempts: Int) {
        self.value = value
        self.usage = usage
        self.model = model
        self.attempts = attempts
    }
}

extension StructuredCompletion: Sendable where Value: Sendable {}
extension StructuredCompletion: Equatable where Value: Equatable {}
