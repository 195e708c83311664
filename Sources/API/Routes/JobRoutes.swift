import Foundation
import Hummingbird
import Jobs
import Postgres

/// `GET /api/v1/jobs/{id}`: the caller's own background job (every `202` names one), for a
/// token with a scope of a store that queues jobs. Another user's job, or one that does not
/// exist, is `404` alike.
struct JobRoutes: Sendable {
    let pool: PostgresPool
    let queue: JobQueue

    func add(to routes: ProtectedRoutes) {
        routes.get("{id}", AccessRule.needsAny(of: .contextRead, .contextWrite, .memoriesRead, .memoriesWrite, .chat, .webhooksManage), use: show)
    }

    @Sendable func show(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        guard let id = context.parameters.get("id", as: Int.self), id > 0 else {
            throw APIError.validation("the job id must be a positive whole number", field: "id")
        }
        let record = try await pool.withConnection { [queue] in try queue.find(id: id, on: $0) }
        guard let record, record.ownerUserID == caller.userID else { throw APIError.notFound("no job \(id)") }
        return try Envelope.make(message: "job \(id) is \(record.state.rawValue)", data: Self.view(record))
    }

    static func view(_ job: JobRecord) -> [String: Any] {
        [
            "id": job.id,
            "kind": job.kind,
            "queue": job.queue,
            "state": job.state.rawValue,
            "attempt": job.attempt,
            "max_attempts": job.maxAttempts,
            "last_error": job.errors.last?.error ?? NSNull(),
            "errors": job.errors.map { ["attempt": $0.attempt, "at": $0.at, "error": $0.error] },
            "created_at": JSONResponse.time(job.createdAt),
            "run_at": JSONResponse.time(job.runAt),
            "attempted_at": JSONResponse.time(job.attemptedAt),
            "finished_at": JSONResponse.time(job.finishedAt),
        ]
    }
}
