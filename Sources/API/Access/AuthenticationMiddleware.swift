import Hummingbird

/// Who is calling: a JWT or an API key (`Authenticator`) becomes the request context's
/// identity, or the request ends with 401. Nothing else.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = Context0RequestContext

    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let identity = try await authenticator.identity(for: request)
        context.identity = identity
        context.logger[metadataKey: "user_id"] = "\(identity.userID)"
        return try await next(request, context)
    }
}
