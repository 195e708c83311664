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
