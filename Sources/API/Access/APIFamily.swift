/// The APIs the server answers, each with its own error shape: `/api/v1/context/*`
/// follows the Context API (`{"response": …, "error": …}`), mem0's routes (`/v1/…`,
/// `/v2/…`, `/v3/…`) mem0's `{"detail": …}`, everything else the Context0 envelope. A route declares its family where it is registered (`ProtectedRoutes`); only
/// requests that match no route are placed by their path.
enum APIFamily: Sendable {
    case context
    case context0
    case mem0

    /// The family of a request that matched no route, read from its path the way the
    /// router reads it (empty segments ignored, so `//api/v1//context/x` is the Context API).
    init(path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        if segments.starts(with: ["api", "v1", "context"]) {
            self = .context
        } else if let first = segments.first, ["v1", "v2", "v3"].contains(first) {
            self = .mem0
        } else {
            self = .context0
        }
    }
}
