import HTTPTypes
import Hummingbird

/// A router group whose every route is registered with its `AccessRule`: each route gets an
/// `AccessMiddleware` of its own, so what a request is charged and allowed follows the route
/// the router matched, never the spelling of its path.
struct ProtectedRoutes {
    typealias Context = Context0RequestContext
    typealias Handler = @Sendable (Request, Context) async throws -> Response

    let group: RouterGroup<Context>
    let family: APIFamily
    let authenticator: Authenticator
    let admission: Admission

    /// The routes under `path`, answering errors in `family`.
    func group(_ path: RouterPath, family: APIFamily? = nil) -> ProtectedRoutes {
        ProtectedRoutes(group: group.group(path), family: family ?? self.family, authenticator: authenticator, admission: admission)
    }

    func on(_ path: RouterPath, method: HTTPRequest.Method, _ rule: AccessRule, use handler: @escaping Handler) {
        var rule = rule
        rule.family = family
        group.group()
            .add(middleware: AccessMiddleware(rule: rule, authenticator: authenticator, admission: admission))
            .on(path, method: method, use: handler)
    }

    func get(_ path: RouterPath, _ rule: AccessRule, use handler: @escaping Handler) {
        on(path, method: .get, rule, use: handler)
    }

    func post(_ path: RouterPath, _ rule: AccessRule, use handler: @escaping Handler) {
        on(path, method: .post, rule, use: handler)
    }

    func put(_ path: RouterPath, _ rule: AccessRule, use handler: @escaping Handler) {
        on(path, method: .put, rule, use: handler)
    }

    func delete(_ path: RouterPath, _ rule: AccessRule, use handler: @escaping Handler) {
        on(path, method: .delete, rule, use: handler)
    }
}
