import Core
import Hummingbird

extension RateLimitClass {
    /// The spec's class of an endpoint: searches, batch operations and AI operations (chat
    /// replies, answers, extraction) have their own limits; everything else is standard.
    init(_ request: Request) {
        let path = request.uri.path
        guard request.method == .post else {
            self = .standard
            return
        }
        if path.hasSuffix("/search") {
            self = .search
        } else if path.hasSuffix("/batch") {
            self = .batch
        } else if path == "/api/v1/qa/ask" || (path.hasPrefix("/api/v1/chat/sessions/") && (path.hasSuffix("/messages") || path.hasSuffix("/extract-memories"))) {
            self = .ai
        } else {
            self = .standard
        }
    }
}

/// The hard quotas that refuse a request once used up: searches refuse searches; AI
/// operations and LLM tokens refuse AI requests; embedded chunks and stored bytes refuse
/// adding context.
enum QuotaGate {
    static func metrics(for request: Request, class kind: RateLimitClass) -> [String] {
        switch kind {
        case .search: return ["searches"]
        case .ai: return ["ai_operations", "llm_tokens"]
        case .standard where request.method == .post && request.uri.path == "/api/v1/context/add": return ["embedded_chunks", "stored_bytes"]
        default: return []
        }
    }
}
