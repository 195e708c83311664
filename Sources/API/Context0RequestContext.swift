import Auth
import Foundation
import Hummingbird

/// The per-request context: Hummingbird's core plus who is calling, once authenticated.
struct Context0RequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: Identity?

    /// Typed responses are written by the one response encoder (`ResponseJSON`).
    var responseEncoder: JSONEncoder { ResponseJSON.encoder }

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
