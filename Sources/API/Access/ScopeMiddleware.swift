import Hummingbird

/// Whether the caller's token may call this route: every scope of the route's `AccessRule`
/// (or one of its alternatives), else 403 naming the scope that is missing.
struct ScopeMiddleware: RouterMiddleware {
    typealias Context = Context0RequestContext

    let rule: AccessRule

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let missing = rule.missingScope(of: try context.caller()) {
            throw APIError.forbidden("this token lacks the \(missing) scope")
        }
        return try await next(request, context)
    }
}
