import Auth
import Core
import Foundation
import HTTPTypes
import Hummingbird

/// Guards one route with its `AccessRule`: who is calling (`Authenticator`), whether they may
/// now (`Admission`: disabled, rate limit, quotas), whether their token has the route's
/// scopes; then the handler. Every answer after authentication carries `X-RateLimit-*`, and
/// every error (its own or the handler's) is rendered in the route's API family. A request
/// the server failed (5xx) is refunded (`RequestRefunds`).
struct AccessMiddleware: RouterMiddleware {
    typealias Context = Context0RequestContext

    let rule: AccessRule
    let authenticator: Authenticator
    let admission: Admission

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let identity: Identity
        let decision: Admission.Decision
        do {
            identity = try await authenticator.identity(for: request)
            decision = try await admission.admit(identity, rule)
        } catch {
            return render(error, request, context)
        }
        let response: Response
        if let refusal = decision.refusal {
            response = render(refusal, request, context)
        } else if let missing = rule.missingScope(of: identity) {
            response = render(APIError.forbidden("this token lacks the \(missing) scope"), request, context)
        } else {
            var context = context
            context.identity = identity
            context.logger[metadataKey: "user_id"] = "\(identity.userID)"
            do {
                response = try await next(request, context)
            } catch {
                response = render(error, request, context)
            }
            admission.refundIfFailed(response, identity, rule, decision)
        }
        return decision.state.map { Self.withLimitHeaders($0, response) } ?? response
    }

    private func render(_ error: Error, _ request: Request, _ context: Context) -> Response {
        ErrorMiddleware<Context>.response(for: error, family: rule.family, request: request, logger: context.logger)
    }

    static func withLimitHeaders(_ state: RateLimitState, _ response: Response) -> Response {
        var response = response
        response.headers[.rateLimitLimit] = String(state.limit)
        response.headers[.rateLimitRemaining] = String(state.remaining)
        response.headers[.rateLimitReset] = String(Int(state.reset.timeIntervalSince1970))
        return response
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = Self("X-RateLimit-Limit")!
    static let rateLimitRemaining = Self("X-RateLimit-Remaining")!
    static let rateLimitReset = Self("X-RateLimit-Reset")!
}
