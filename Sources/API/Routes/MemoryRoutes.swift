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
        let created = try await create(try MemoryRequests.new(try await JSONBody(request), limits: metadataLimits), userID: caller.userID)
        return Envelope.answer(.created, "memory created; enrichment pending", created)
    }

    /// Stores a memory and queues its indexing, for the REST route and the MCP tool.
    func create(_ new: NewMemory, userID: String) async throws -> Merged<MemoryViews.Memory, MemoryViews.JobID> {
        let (memory, jobID) = try await pool.withTransaction { [store] in try store.create(new, userID: userID, on: $0) }
        return Merged(MemoryViews.Memory(memory), MemoryViews.JobID(job_id: jobID))
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
        return Envelope("memory deleted", try await delete(id, userID: caller.userID))
    }

    /// Deletes a memory (softly, with history), for the REST route and the MCP tool.
    func delete(_ id: UUID, userID: String) async throws -> Deleted {
        let deleted = try await pool.withTransaction { [store] in
            try store.delete(id: id, userID: userID, reason: "deleted by the user", on: $0)
        }
        guard deleted else { throw APIError.notFound("no memory \(id.uuidString.lowercased())") }
        return Deleted(id: id.apiString)
    }

    @Sendable func list(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Paged<MemoryViews.Memory>> {
        let caller = try context.caller()
        let page = try await list(try MemoryRequests.filter(request), userID: caller.userID)
        return Envelope("\(page.total) memories", page)
    }

    /// A page of the user's memories, for the REST route and the MCP tool.
    func list(_ filter: MemoryFilter, userID: String) async throws -> Paged<MemoryViews.Memory> {
        let (memories, total) = try await pool.withConnection { [store] in try store.list(userID: userID, filter: filter, on: $0) }
        return Paged(items: memories.map(MemoryViews.Memory.init), total: total, limit: filter.limit, skip: filter.skip)
    }

    /// Semantic + full-text search with the list filters, a similarity threshold and scores.
    @Sendable func search(_ request: Request, context: Context0RequestContext) async throws -> Envelope<MemoryViews.SearchResults> {
        let caller = try context.caller()
        let results = try await search(try MemoryRequests.search(try await JSONBody(request)), userID: caller.userID)
        return Envelope("\(results.results.count) memories found", results)
    }

    /// The search itself, for the REST route and the MCP tool.
    func search(_ search: MemoryRequests.Search, userID: String) async throws -> MemoryViews.SearchResults {
        MemoryViews.SearchResults(results: try await hits(search, userID: userID).map(MemoryViews.hit), query: search.query)
    }

    /// The memories a search finds, best first, for every surface that shows them.
    func hits(_ search: MemoryRequests.Search, userID: String) async throws -> [MemoryHit] {
        let embedding = try await embedder.embed(search.query)
        return try await pool.withConnection { [store] in
            try store.search(
                userID: userID, text: search.query, embedding: embedding, filter: search.filter, threshold: search.threshold,
                limit: search.limit, on: $0)
        }
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
