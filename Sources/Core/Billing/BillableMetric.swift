/// What a bill has lines for and a plan sets quotas and prices on (the names in
/// `plans.quotas` and `plans.unit_prices`), each read from one usage counter.
public enum BillableMetric: String, Sendable, CaseIterable {
    case searches
    case aiOperations = "ai_operations"
    case llmTokens = "llm_tokens"
    case embeddedChunks = "embedded_chunks"
    case storedBytes = "stored_bytes"

    /// The usage counter behind the metric: searches are the `requests.search` counter
    /// (less `refused.search`).
    public var counter: UsageMetric {
        switch self {
        case .searches: .requests(.search)
        case .aiOperations: .aiOperations
        case .llmTokens: .llmTokens
        case .embeddedChunks: .embeddedChunks
        case .storedBytes: .storedBytes
        }
    }
}
