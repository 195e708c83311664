import Auth
import Core
import Foundation
import HTTPTypes
import Hummingbird
import Postgres

/// Authenticates every request it guards: `Authorization: Bearer <token>` with a JWT
/// (HS256, `JWT_SECRET`) or an API key. Missing, malformed, badly signed, expired or
/// revoked credentials answer 401; a disabled user 402 where the spec lists it (the
/// documents view), 403 elsewhere. Users are created on their first valid request.
/// It also counts the request against the user's hourly limit for its class (429 with
/// `Retry-After` beyond it) and puts `X-RateLimit-*` on every authenticated answer.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = Context0RequestContext

    let tokens: JSONWebToken
    let pool: PostgresPool
    /// Sessions with `synchronous_commit=off`, for the per-request count.
    let admissions: PostgresPool
    let rateLimits: RateLimitOverrides
    /// False with `METERING=off`: no limits, no counting, no `X-RateLimit-*` headers.
    let metering: Bool
    let users = UserStore()
    /// Paths where the spec answers a disabled user with 402 "Invalid user".
    static let paymentRequiredPaths: Set<String> = ["/api/v1/context/view/docs"]
    static let paymentRequired = HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let identity = try await authenticate(request)
        let kind = RateLimitClass(request)
        guard metering else { return try await unmetered(request, context: context, identity: identity, next: next) }
        let state = try await admissions.withConnection { [users, rateLimits] in
            try users.admit(userID: identity.userID, organizationID: identity.organizationID, class: kind, overrides: rateLimits, on: $0)
        }
        if state.disabled {
            return Self.withLimitHeaders(state, Self.disabledUser(request))
        }
        if state.exceeded {
            try await recordRefusal(identity, kind)
            var response = ErrorMiddleware<Context>.response(for: APIError(
                status: .tooManyRequests, code: .rateLimitExceeded,
                message: "rate limit of \(state.limit) \(kind.rawValue) requests per hour exceeded"), path: request.uri.path)
            response.headers[.retryAfter] = String(max(1, Int(state.reset.timeIntervalSinceNow.rounded(.up))))
            return Self.withLimitHeaders(state, response)
        }
        if let metric = QuotaGate.metrics(for: request, class: kind).first(where: state.quotaExceeded.contains) {
            try await recordRefusal(identity, kind)
            let periodEnd = BillingPeriod(containing: Date()).end
            var response = ErrorMiddleware<Context>.response(for: APIError(
                status: .tooManyRequests, code: .quotaExceeded,
                message: "this period's quota of \(metric) is used up; it renews at the start of next month, or change the plan"), path: request.uri.path)
            response.headers[.retryAfter] = String(max(1, Int(periodEnd.timeIntervalSinceNow.rounded(.up))))
            return Self.withLimitHeaders(state, response)
        }
        context.identity = identity
        context.logger[metadataKey: "user_id"] = "\(identity.userID)"
        do {
            return Self.withLimitHeaders(state, try await next(request, context))
        } catch {
            // Errors after authentication carry the limit headers too.
            return Self.withLimitHeaders(state, ErrorMiddleware<Context>.response(for: ErrorMiddleware<Context>.apiError(for: error), path: request.uri.path))
        }
    }

    private func unmetered(
        _ request: Request, context: Context, identity: Identity, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let disabled = try await admissions.withConnection { [users] in
            try users.arrive(userID: identity.userID, organizationID: identity.organizationID, on: $0)
        }
        if disabled { return Self.disabledUser(request) }
        context.identity = identity
        context.logger[metadataKey: "user_id"] = "\(identity.userID)"
        return try await next(request, context)
    }

    /// A refused search is not billed as one.
    private func recordRefusal(_ identity: Identity, _ kind: RateLimitClass) async throws {
        guard kind == .search else { return }
        try await admissions.withConnection { [users] in
            try users.meter(userID: identity.userID, metric: UsageMetric.refusedSearches, quantity: 1, on: $0)
        }
    }

    /// 402 where the spec lists it (the documents view), 403 elsewhere.
    static func disabledUser(_ request: Request) -> Response {
        let status: HTTPResponse.Status = paymentRequiredPaths.contains(request.uri.path) ? paymentRequired : .forbidden
        return ErrorMiddleware<Context>.response(
            for: APIError(status: status, code: .userDisabled, message: "this user is disabled"), path: request.uri.path)
    }

    static func withLimitHeaders(_ state: RateLimitState, _ response: Response) -> Response {
        var response = response
        response.headers[.rateLimitLimit] = String(state.limit)
        response.headers[.rateLimitRemaining] = String(state.remaining)
        response.headers[.rateLimitReset] = String(Int(state.reset.timeIntervalSince1970))
        return response
    }

    private func authenticate(_ request: Request) async throws -> Identity {
        guard let header = request.headers[.authorization] else {
            throw APIError.authRequired("missing Authorization header: send Authorization: Bearer <token>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError.invalidToken("the Authorization header must be Bearer <token>")
        }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        if APIKey.looksLikeKey(token) {
            return try await identity(forKey: token)
        }
        do {
            let claims = try tokens.verify(token)
            let scopes = try claims.scopes.map(Self.parseScopes) ?? Scope.allButAdmin
            return Identity(userID: claims.sub, organizationID: claims.org_id, scopes: scopes, credential: .jwt)
        } catch let failure as JSONWebToken.Failure {
            throw APIError.invalidToken(failure.description)
        }
    }

    private func identity(forKey key: String) async throws -> Identity {
        let hash = APIKey.hash(key)
        guard let record = try await pool.withConnection({ [users] in try users.findKey(hash: hash, on: $0) }) else {
            throw APIError.invalidToken("unknown or revoked API key")
        }
        let scopes = try record.scopes.map(Self.parseScopes) ?? Scope.allButAdmin
        return Identity(userID: record.userID, organizationID: record.organizationID, scopes: scopes, credential: .apiKey(id: record.id.uuidString))
    }

    static func parseScopes(_ names: [String]) throws -> Set<Scope> {
        Set(try names.map { name in
            guard let scope = Scope(rawValue: name) else { throw APIError.invalidToken("unknown scope \"\(name)\" in token") }
            return scope
        })
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = Self("X-RateLimit-Limit")!
    static let rateLimitRemaining = Self("X-RateLimit-Remaining")!
    static let rateLimitReset = Self("X-RateLimit-Reset")!
}
