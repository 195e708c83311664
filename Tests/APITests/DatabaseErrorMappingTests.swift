@testable import API
import Hummingbird
import Postgres
import Testing

/// Database errors become HTTP answers once, at the edge: what may pass (an unreachable
/// server, a busy pool, a statement or lock wait over its limit) is a 503 with `Retry-After`,
/// a collision with an existing row a 409; only the rest is a 500.
@Suite struct DatabaseErrorMappingTests {
    @Test(arguments: [
        PostgresError(kind: .connection, message: "cannot connect"),
        PostgresError(kind: .unavailable, message: "the database was unreachable moments ago"),
        PostgresError(kind: .server, sqlState: "57014", message: "canceling statement due to statement timeout"),
        PostgresError(kind: .server, sqlState: "55P03", message: "canceling statement due to lock timeout"),
        PostgresError(kind: .server, sqlState: "53300", message: "too many connections"),
        PostgresError(kind: .server, sqlState: "57P03", message: "the database system is starting up"),
    ])
    func whatMayPassIsA503WithRetryAfter(_ error: PostgresError) {
        let answer = ErrorMiddleware<Context0RequestContext>.apiError(for: error)
        #expect(answer.status == .serviceUnavailable && answer.code == .serviceUnavailable && answer.retryAfter == 1, "\(error)")
    }

    @Test func aUniqueViolationIsA409() {
        let answer = ErrorMiddleware<Context0RequestContext>.apiError(for: PostgresError(kind: .server, sqlState: "23505", message: "duplicate key"))
        #expect(answer.status == .conflict && answer.code == .conflict)
    }

    @Test func otherDatabaseErrorsStayInternal() {
        let answer = ErrorMiddleware<Context0RequestContext>.apiError(for: PostgresError(kind: .server, sqlState: "42601", message: "syntax error"))
        #expect(answer.status == .internalServerError && answer.code == .internalError)
    }
}
