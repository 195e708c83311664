import Postgres

/// The metered quantities besides requests (which `UserStore.admit` counts as
/// `requests.<class>`; searches are `requests.search`, so they cost no second write).
public enum UsageMetric {
    public static let aiOperations = "ai_operations"
    public static let llmTokens = "llm_tokens"
    public static let embeddedChunks = "embedded_chunks"
    /// A change in stored bytes (negative when context is deleted).
    public static let storedBytes = "stored_bytes"
    /// Searches refused by a rate limit or quota: counted in `requests.search` as they came
    /// in, subtracted from the billed searches.
    public static let refusedSearches = "refused.search"

    /// One chat reply or answer: an AI operation, plus its LLM call and tokens when a model
    /// produced it.
    public static func recordAIOperation(userID: String, purpose: String, output: AssistantOutput, on connection: PostgresConnection) throws {
        let users = UserStore()
        try users.meter(userID: userID, metric: aiOperations, quantity: 1, on: connection)
        guard let usage = output.usage, let model = output.model else { return }
        try LLMUsageStore().record(
            userID: userID, purpose: purpose, model: model,
            promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, on: connection)
        try users.meter(userID: userID, metric: llmTokens, quantity: usage.totalTokens, on: connection)
    }
}
