import HTTPTypes
import Hummingbird

/// A router group whose every route is registered with its `AccessRule`: each route gets an
/// `AccessMiddleware` of its own, so what a request is charged and allowed follows the route
/// the router matched, never the spelling of its path.
struct ProtectedRoutes {
    typealias Context = Context0RequestContext

    let group: RouterGroup<Context>
    let family: APIFamily
    let authenticator: Authenticator
    let admission: Admission

    /// The routes under `path`, answering errors in `family`.
    func group(_ path: RouterPath, family: APIFamily? = nil) -> ProtectedRoutes {
        ProtectedRoutes(group: group.group(path), family: family ?? self.family, authenticator: authenticator, admission: admission)
    }

    /// Registers `handler`, which answers a `Response` or a typed view (`ResponseEncodable`).
    func on<Output: ResponseGenerator>(
        _ path: RouterPath, method: HTTPRequest.Method, _ rule: AccessRule,
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        var rule = rule
        rule.family = family
        group.group()
            .add(middleware: AccessMiddleware(rule: rule, authenticator: authenticator, admission: admission))
            .on(path, method: method, use: handler)
    }

    func get<Output: ResponseGenerator>(
        _ path: RouterPath, _ rule: AccessRule, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(path, method: .get, rule, use: handler)
    }

    func post<Output: ResponseGenerator>(
        _ path: RouterPath, _ rule: AccessRule, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(path, method: .post, rule, use: handler)
    }

    func put<Output: ResponseGenerator>(
        _ path: RouterPath, _ rule: AccessRule, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(path, method: .put, rule, use: handler)
    }

    func delete<Output: ResponseGenerator>(
        _ path: RouterPath, _ rule: AccessRule, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(path, method: .delete, rule, use: handler)
    }
}
