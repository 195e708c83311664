import Core
import HTTPTypes
import Hummingbird

/// Whether the caller may make this request now, and what it costs: `Admission` counts it
/// in its rate-limit class and checks the class's limit, the route's hard quotas and that the
/// user is enabled; a refusal is thrown (429, or 403/402 for a disabled user). Every answer
/// after admission carries `X-RateLimit-*`, and a request the server failed (5xx) is refunded.
/// It sits outside the route's inner `ErrorMiddleware`, so it sees the handler's errors as the
/// answers they become.
struct MeteringMiddleware: RouterMiddleware {
    typealias Context = Context0RequestContext

    let rule: AccessRule
    let admission: Admission

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let identity = try context.caller()
        let decision = try await admission.admit(identity, rule)
        if var refusal = decision.refusal {
            if let state = decision.state { refusal.headers = Self.limitHeaders(state) }
            throw refusal
        }
        var response = try await next(request, context)
        admission.refundIfFailed(response.status, identity, rule, decision)
        if let state = decision.state { response.headers.append(contentsOf: Self.limitHeaders(state)) }
        return response
    }

    static func limitHeaders(_ state: RateLimitState) -> HTTPFields {
        [
            .rateLimitLimit: String(state.limit),
            .rateLimitRemaining: String(state.remaining),
            .rateLimitReset: String(Int(state.reset.timeIntervalSince1970)),
        ]
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = Self("X-RateLimit-Limit")!
    static let rateLimitRemaining = Self("X-RateLimit-Remaining")!
    static let rateLimitReset = Self("X-RateLimit-Reset")!
}
