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

    /// The caller; routes behind `AuthMiddleware` always have one.
    func caller() throws -> Identity {
        guard let identity else { throw APIError.authRequired("authentication required") }
        return identity
    }

    /// The caller, who must have `scope`.
    func caller(with scope: Scope) throws -> Identity {
        let identity = try caller()
        guard identity.has(scope) else {
            throw APIError(status: .forbidden, code: .insufficientPermissions, message: "this token lacks the \(scope.rawValue) scope")
        }
        return identity
    }
}
