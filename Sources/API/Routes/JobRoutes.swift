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

    @Sendable func show(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Job> {
        let caller = try context.caller()
        guard let id = context.parameters.get("id", as: Int.self), id > 0 else {
            throw APIError.validation("the job id must be a positive whole number", field: "id")
        }
        let record = try await pool.withConnection { [queue] in try queue.find(id: id, on: $0) }
        guard let record, record.ownerUserID == caller.userID else { throw APIError.notFound("no job \(id)") }
        return Envelope("job \(id) is \(record.state.rawValue)", Job(record))
    }

    /// A job as its owner sees it.
    struct Job: Encodable, Sendable {
        struct Failure: Encodable, Sendable {
            let attempt: Int
            let at: String
            let error: String
        }

        let id: Int
        let kind: String
        let queue: String
        let state: String
        let attempt: Int
        let max_attempts: Int
        @Nullable var last_error: String?
        let errors: [Failure]
        let created_at: Date
        let run_at: Date
        @Nullable var attempted_at: Date?
        @Nullable var finished_at: Date?

        init(_ job: JobRecord) {
            id = job.id
            kind = job.kind
            queue = job.queue
            state = job.state.rawValue
            attempt = job.attempt
            max_attempts = job.maxAttempts
            last_error = job.errors.last?.error
            errors = job.errors.map { Failure(attempt: $0.attempt, at: $0.at, error: $0.error) }
            created_at = job.createdAt
            run_at = job.runAt
            attempted_at = job.attemptedAt
            finished_at = job.finishedAt
        }
    }
}
