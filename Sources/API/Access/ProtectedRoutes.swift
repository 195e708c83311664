import HTTPTypes
import Hummingbird

/// A router group whose every route is registered with its `AccessRule`: each route gets
/// its own chain — errors answered in its API family, authentication, metering (admission,
/// rate-limit headers, refunds), scopes — so what a request is charged and allowed follows
/// the route the router matched, never the spelling of its path.
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
        group.group()
            .add(middleware: ErrorMiddleware(family: family))
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator))
            .add(middleware: MeteringMiddleware(rule: rule, admission: admission))
            // The handler's and the scope check's errors become answers here, inside metering,
            // so they carry the rate-limit headers and a 5xx is refunded.
            .add(middleware: ErrorMiddleware(family: family))
            .add(middleware: ScopeMiddleware(rule: rule))
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
