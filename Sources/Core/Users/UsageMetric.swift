import Postgres

/// A counter of `usage_hourly`, stored under `name`. Requests are counted by
/// `UserStore.admit` as `requests.<class>` (searches are `requests.search`, so they cost no
/// second write); the rest are metered by the work that uses them.
public enum UsageMetric: Sendable, Hashable, PostgresEncodable {
    case requests(RateLimitClass)
    /// Searches refused by a rate limit or quota: counted in `requests.search` as they came
    /// in, subtracted from the billed searches.
    case refusedSearches
    case aiOperations
    case llmTokens
    case embeddedChunks
    /// A change in stored bytes (negative when context is deleted).
    case storedBytes

    /// The counter's name in `usage_hourly.metric`.
    public var name: String {
        switch self {
        case .requests(let kind): "requests." + kind.rawValue
        case .refusedSearches: "refused.search"
        case .aiOperations: "ai_operations"
        case .llmTokens: "llm_tokens"
        case .embeddedChunks: "embedded_chunks"
        case .storedBytes: "stored_bytes"
        }
    }

    public static let postgresOID = PostgresOID.text
    public var postgresText: String { name }

    /// One chat reply or answer: an AI operation, plus its LLM call and tokens when a model
    /// produced it.
    public static func recordAIOperation(userID: String, purpose: String, output: AssistantOutput, on connection: PostgresConnection) throws {
        let users = UserStore()
        try users.meter(userID: userID, metric: .aiOperations, quantity: 1, on: connection)
        guard let usage = output.usage, let model = output.model else { return }
        try LLMUsageStore().record(
            userID: userID, purpose: purpose, model: model,
            promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, on: connection)
        try users.meter(userID: userID, metric: .llmTokens, quantity: usage.totalTokens, on: connection)
    }
}
