import Hummingbird

/// Every error the API answers with: its status, a stable code, a message safe to show,
/// and the offending field for validation errors. Errors start typed where they happen
/// and become HTTP responses only in `ErrorMiddleware`.
struct APIError: Error, Sendable {
    enum Code: String, Sendable {
        case authRequired = "AUTH_REQUIRED"
        case invalidToken = "INVALID_TOKEN"
        case insufficientPermissions = "INSUFFICIENT_PERMISSIONS"
        case userDisabled = "USER_DISABLED"
        case resourceNotFound = "RESOURCE_NOT_FOUND"
        case validationError = "VALIDATION_ERROR"
        case payloadTooLarge = "PAYLOAD_TOO_LARGE"
        case methodNotAllowed = "METHOD_NOT_ALLOWED"
        case rateLimitExceeded = "RATE_LIMIT_EXCEEDED"
        case quotaExceeded = "QUOTA_EXCEEDED"
        case internalError = "INTERNAL_ERROR"
        /// Added to the spec's codes: the database cannot serve now (503, Retry-After).
        case serviceUnavailable = "SERVICE_UNAVAILABLE"
        /// Added to the spec's codes: the request collides with what exists (409).
        case conflict = "CONFLICT"
    }

    let status: HTTPResponse.Status
    let code: Code
    let message: String
    let field: String?
    /// Seconds after which trying again may succeed (`Retry-After`), for refusals that end.
    var retryAfter: Int?
    /// Headers the answer carries besides the body's (a refusal's `X-RateLimit-*`).
    var headers: HTTPFields = [:]

    init(status: HTTPResponse.Status, code: Code, message: String, field: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
    }

    static func validation(_ message: String, field: String? = nil) -> APIError {
        APIError(status: .badRequest, code: .validationError, message: message, field: field)
    }

    static func authRequired(_ message: String) -> APIError {
        APIError(status: .unauthorized, code: .authRequired, message: message)
    }

    static func invalidToken(_ message: String) -> APIError {
        APIError(status: .unauthorized, code: .invalidToken, message: message)
    }

    static func forbidden(_ message: String) -> APIError {
        APIError(status: .forbidden, code: .insufficientPermissions, message: message)
    }

    static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: .resourceNotFound, message: message)
    }

    /// 503 with `Retry-After: 1`: the database cannot serve now; nothing was changed that
    /// the caller cannot safely send again.
    static func unavailable(_ message: String = "the database is unavailable: try again shortly") -> APIError {
        APIError(status: .serviceUnavailable, code: .serviceUnavailable, message: message, retryAfter: 1)
    }
}
