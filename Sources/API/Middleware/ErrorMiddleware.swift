import Foundation
import Hummingbird
import Logging
import NIOCore
import Postgres

/// Turns every error into the response shape of the API it belongs to, once, at the edge:
/// the Context API answers `{"response": …, "error": …}`, the Context0 API its envelope
/// `{"success": false, "message": …, "error": {code, details, field}}`, mem0's routes
/// `{"detail": …, "code": …}`. Each protected route
/// has one for its declared family (`ProtectedRoutes`); the router's own, with no family,
/// answers for requests that reach no route, placed by their path.
/// A database that cannot serve now is a 503 with `Retry-After`, a unique violation a 409.
/// Unexpected errors become a 500 whose body says nothing about internals; they are logged.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The family to answer in; nil: read from the request's path.
    var family: APIFamily?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, family: family ?? APIFamily(path: request.uri.path), request: request, logger: context.logger)
        }
    }

    /// The response for any error, logged when it is an unexpected one.
    static func response(for error: Error, family: APIFamily, request: Request, logger: Logger) -> Response {
        let apiError = apiError(for: error)
        if apiError.status == .internalServerError {
            logger.error("request failed", metadata: ["error": "\(error)", "method": "\(request.method)", "path": "\(request.uri.path)"])
        } else if apiError.status == .serviceUnavailable {
            // What made the database unable to serve, for the operator (the caller gets 503).
            logger.warning("request answered 503", metadata: ["error": "\(error)", "method": "\(request.method)", "path": "\(request.uri.path)"])
        }
        return response(for: apiError, family: family)
    }

    static func apiError(for error: Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as PostgresError where error.isUnavailable:
            return .unavailable()
        case let error as PostgresError where error.sqlState == PostgresError.uniqueViolation:
            return APIError(status: .conflict, code: .conflict, message: "this conflicts with something that exists")
        case is NIOTooManyBytesError:
            return APIError(status: .contentTooLarge, code: .payloadTooLarge, message: "the request body is too large")
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound("no such endpoint")
            case .methodNotAllowed: return APIError(status: .methodNotAllowed, code: .methodNotAllowed, message: "method not allowed")
            case .contentTooLarge: return APIError(status: .contentTooLarge, code: .payloadTooLarge, message: "the request body is too large")
            case let status where (400..<500).contains(status.code):
                return APIError(status: status, code: .validationError, message: error.body ?? status.reasonPhrase)
            default:
                return APIError(status: .internalServerError, code: .internalError, message: "internal server error")
            }
        default:
            return APIError(status: .internalServerError, code: .internalError, message: "internal server error")
        }
    }

    static func response(for error: APIError, family: APIFamily) -> Response {
        var status = error.status
        let data: Data?
        switch family {
        case .context:
            data = try? ResponseJSON.encoder.encode(ErrorBodies.Context(response: error.message, error: error.code.rawValue))
        case .context0:
            // The Context0 spec answers a field that fails validation with 422; a body that
            // cannot be read at all stays 400.
            if error.code == .validationError, error.status == .badRequest, error.field != nil { status = .unprocessableContent }
            data = try? ResponseJSON.encoder.encode(ErrorBodies.Context0(message: error.message, error: ErrorBodies.Detail(error)))
        case .mem0:
            data = try? ResponseJSON.encoder.encode(ErrorBodies.Mem0(error))
        }
        var headers = error.headers
        headers[.contentType] = "application/json; charset=utf-8"
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(max(1, retryAfter)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data ?? Data())))
    }
}
