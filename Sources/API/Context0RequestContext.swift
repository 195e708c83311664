import Auth
import Hummingbird

/// The per-request context: Hummingbird's core plus who is calling, once authenticated.
struct Context0RequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: Identity?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
    }

    /// The caller; routes registered through `ProtectedRoutes` always have one.
    func caller() throws -> Identity {
        guard let identity else { throw APIError.authRequired("authentication required") }
        return identity
    }
}
