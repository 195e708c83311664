import Core
import Embedding
import Foundation
import Hummingbird
import Postgres

/// The Memory API: `/api/v1/memories…`, answered in the Context0 envelope.
struct MemoryRoutes: Sendable {
    let pool: PostgresPool
    let store: MemoryStore
    let embedder: any Embedder
    let metadataLimits: MetadataLimits

    func add(to routes: ProtectedRoutes) {
        routes.post("", .needs(.memoriesWrite), use: create)
        routes.get("", .needs(.memoriesRead), use: list)
        routes.post("search", .needs(.memoriesRead, class: .search), use: search)
        routes.post("batch", .needs(.memoriesWrite, class: .batch), use: batch)
        routes.get("{id}", .needs(.memoriesRead), use: show)
        routes.put("{id}", .needs(.memoriesWrite), use: update)
        routes.delete("{id}", .needs(.memoriesWrite), use: delete)
    }

    /// 201 at once; embedding and (when none is given) category and emotion follow in a job.
    @Sendable func create(_ request: Request, context: Context0RequestContext) async throws -> EditedResponse<Envelope<Merged<MemoryViews.Memory, MemoryViews.JobID>>> {
        let caller = try context.caller()
        let new = try MemoryRequests.new(try await JSONBody(request), limits: metadataLimits)
        let (memory, jobID) = try await pool.withTransaction { [store] in try store.create(new, userID: caller.userID, on: $0) }
        return Envelope.answer(.created, "memory created; enrichment pending", Merged(MemoryViews.Memory(memory), MemoryViews.JobID(job_id: jobID)))
    }

    @Sendable func show(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Merged<MemoryViews.Memory, MemoryViews.History>> {
        let caller = try context.caller()
        let id = try Self.memoryID(context)
        let found = try await pool.withConnection { [store] connection -> (Memory, [MemoryHistoryEntry])? in
            guard let memory = try store.find(id: id, userID: caller.userID, on: connection) else { return nil }
            return (memory, try store.history(of: id, userID: caller.userID, on: connection))
        }
        guard let (memory, history) = found else { throw APIError.notFound("no memory \(id.uuidString.lowercased())") }
        return Envelope("memory found", Merged(MemoryViews.Memory(memory), MemoryViews.History(history: history.map(MemoryViews.HistoryEntry.init))))
    }

    @Sendable func update(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Merged<MemoryViews.Memory, MemoryViews.JobID>> {
        let caller = try context.caller()
        let id = try Self.memoryID(context)
        let (change, reason) = try MemoryRequests.change(try await JSONBody(request), limits: metadataLimits)
        let updated = try await pool.withTransaction { [store] in
            try store.update(id: id, userID: caller.userID, change: change, reason: reason ?? "updated by the user", on: $0)
        }
        guard let (memory, jobID) = updated else { throw APIError.notFound("no memory \(id.uuidString.lowercased())") }
        return Envelope("memory updated", Merged(MemoryViews.Memory(memory), MemoryViews.JobID(job_id: jobID)))
    }

    @Sendable func delete(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Deleted> {
        let caller = try context.caller()
        let id = try Self.memoryID(context)
        let deleted = try await pool.withTransaction { [store] in
            try store.delete(id: id, userID: caller.userID, reason: "deleted by the user", on: $0)
        }
        guard deleted else { throw APIError.notFound("no memory \(id.uuidString.lowercased())") }
        return Envelope("memory deleted", Deleted(id: id.apiString))
    }

    @Sendable func list(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Paged<MemoryViews.Memory>> {
        let caller = try context.caller()
        let filter = try MemoryRequests.filter(request)
        let (memories, total) = try await pool.withConnection { [store] in try store.list(userID: caller.userID, filter: filter, on: $0) }
        return Envelope("\(total) memories", Paged(items: memories.map(MemoryViews.Memory.init), total: total, limit: filter.limit, skip: filter.skip))
    }

    /// Semantic + full-text search with the list filters, a similarity threshold and scores.
    @Sendable func search(_ request: Request, context: Context0RequestContext) async throws -> Envelope<MemoryViews.SearchResults> {
        let caller = try context.caller()
        let body = try await JSONBody(request)
        guard let query = try body.string("query", maxLength: 2000), !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation("query must be a non-empty string", field: "query")
        }
        let limit = try body.integer("limit", in: 1...MemoryRequests.maxLimit) ?? 10
        let threshold = try body.number("threshold") ?? 0.3
        guard (0...1).contains(threshold) else { throw APIError.validation("threshold must be between 0 and 1", field: "threshold") }
        var filter = MemoryFilter()
        filter.category = try MemoryRequests.label(body, "category")
        filter.emotion = try MemoryRequests.label(body, "emotion")
        filter.tags = try MemoryRequests.tags(body) ?? []
        let embedding = try await embedder.embed(query)
        let hits = try await pool.withConnection { [store, filter] in
            try store.search(userID: caller.userID, text: query, embedding: embedding, filter: filter, threshold: threshold, limit: limit, on: $0)
        }
        return Envelope("\(hits.count) memories found", MemoryViews.SearchResults(results: hits.map(MemoryViews.hit), query: query))
    }

    /// Up to 100 create/update/delete operations, each answered on its own; one failing
    /// does not undo the others (each runs in its own transaction).
    @Sendable func batch(_ request: Request, context: Context0RequestContext) async throws -> Envelope<MemoryViews.Batch> {
        let caller = try context.caller()
        let operations = try MemoryRequests.operations(try await JSONBody(request))
        let batch = MemoryBatch(pool: pool, store: store, userID: caller.userID, metadataLimits: metadataLimits, logger: context.logger)
        var results = [MemoryViews.BatchResult]()
        for (index, operation) in operations.enumerated() {
            results.append(await batch.run(operation, index: index))
        }
        let view = MemoryViews.Batch(results: results)
        return Envelope("\(view.succeeded) of \(operations.count) operations succeeded", view)
    }

    static func memoryID(_ context: Context0RequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw APIError.validation("the memory id must be a UUID", field: "id")
        }
        return id
    }
}
