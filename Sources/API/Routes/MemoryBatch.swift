import Core
import Foundation
import Logging
import Postgres

/// One operation of `POST /memories/batch`: `{"op": "create", …fields}`,
/// `{"op": "update", "id", …fields}` or `{"op": "delete", "id"}`. Each operation is
/// validated whole before its transaction starts, so one that is refused writes nothing.
struct MemoryBatch {
    let pool: PostgresPool
    let store: MemoryStore
    let userID: String
    /// How large each operation's `metadata` may be (`APIConfiguration.metadataLimits`).
    let metadataLimits: MetadataLimits
    let logger: Logger

    func run(_ operation: JSONValue, index: Int) async -> MemoryViews.BatchResult {
        do {
            guard case .object(let fields) = operation else { throw APIError.validation("each operation must be an object", field: "operations[\(index)]") }
            let body = JSONBody(object: fields)
            let op = try body.string("op", maxLength: 16) ?? ""
            var result = MemoryViews.BatchResult(index: index, op: op, success: true)
            switch op {
            case "create":
                let new = try MemoryRequests.new(body, limits: metadataLimits)
                let (memory, jobID) = try await pool.withTransaction { [store, userID] in try store.create(new, userID: userID, on: $0) }
                result.id = memory.id.apiString
                result.job_id = jobID
            case "update":
                let id = try Self.id(body)
                let (change, reason) = try MemoryRequests.change(body, limits: metadataLimits)
                guard try await pool.withTransaction({ [store, userID] in
                    try store.update(id: id, userID: userID, change: change, reason: reason ?? "updated in a batch", on: $0)
                }) != nil else { throw APIError.notFound("no memory \(id.apiString)") }
                result.id = id.apiString
            case "delete":
                let id = try Self.id(body)
                guard try await pool.withTransaction({ [store, userID] in
                    try store.delete(id: id, userID: userID, reason: "deleted in a batch", on: $0)
                }) else { throw APIError.notFound("no memory \(id.apiString)") }
                result.id = id.apiString
            default:
                throw APIError.validation("op must be create, update or delete", field: "op")
            }
            return result
        } catch {
            // Mapped as the edge maps a whole request's error: an outage is SERVICE_UNAVAILABLE.
            let apiError = ErrorMiddleware<Context0RequestContext>.apiError(for: error)
            if apiError.status == .internalServerError { logger.error("batch operation failed", metadata: ["index": "\(index)", "error": "\(error)"]) }
            return MemoryViews.BatchResult(index: index, success: false, error: ErrorBodies.Detail(apiError))
        }
    }

    static func id(_ body: JSONBody) throws -> UUID {
        guard let text = try body.string("id", maxLength: 64), let id = UUID(uuidString: text) else {
            throw APIError.validation("id must be a memory id", field: "id")
        }
        return id
    }
}
