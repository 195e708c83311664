import LLM
import Postgres

extension UsageMetric {
    /// LLM calls made on the user's behalf by background work (memory extraction), in the
    /// caller's transaction: each recorded in `llm_calls` under `purpose`, their tokens added
    /// to the user's `llm_tokens`, which the hard quota and the bill count like a chat
    /// reply's. No AI operation: that is counted for the request that asked, if any.
    public static func recordLLMCalls(_ calls: [MeteredCall], userID: String, purpose: String, on connection: PostgresConnection) throws {
        guard !calls.isEmpty else { return }
        let store = LLMUsageStore()
        for call in calls {
            try store.record(
                userID: userID, purpose: purpose, model: call.model,
                promptTokens: call.usage.promptTokens, completionTokens: call.usage.completionTokens, on: connection)
        }
        let tokens = calls.reduce(0) { $0 + $1.usage.totalTokens }
        try UserStore().meter(userID: userID, metric: .llmTokens, quantity: tokens, on: connection)
    }
}
