import Core
import Foundation
import Hummingbird
import Jobs
import Postgres

/// mem0's platform API, served over the same memories as the Memory API, so that mem0's
/// own `MemoryClient(api_key=…, host=…)` works against Context0 (docs/mem0-compatibility.md).
/// mem0's entity ids scope memories inside the key's user; each route is admitted, scoped
/// and metered as the Memory API route it stands for, and answers errors as `{"detail": …}`.
struct Mem0Routes: Sendable {
    let pool: PostgresPool
    let store: MemoryStore
    let queue: JobQueue
    let memories: MemoryRoutes
    let admission: Admission
    let metadataLimits: MetadataLimits

    /// An add with inference is also one AI request: counted in that class, refused by its quotas.
    static let inference = AccessRule.needs(.memoriesWrite, class: .ai)
    /// Memories deleted per transaction when a whole entity's go.
    static let deletionBatch = 1000

    func add(to routes: ProtectedRoutes) {
        routes.get("v1/ping", .needs(), use: ping)
        routes.post("v3/memories/add", .needs(.memoriesWrite), use: add)
        routes.post("v3/memories", .needs(.memoriesRead), use: list)
        routes.post("v3/memories/search", .needs(.memoriesRead, class: .search), use: search)
        routes.get("v1/memories/{id}", .needs(.memoriesRead), use: show)
        routes.put("v1/memories/{id}", .needs(.memoriesWrite), use: update)
        routes.delete("v1/memories/{id}", .needs(.memoriesWrite), use: delete)
        routes.get("v1/memories/{id}/history", .needs(.memoriesRead), use: history)
        routes.delete("v1/memories", .needs(.memoriesWrite, class: .batch), use: deleteAll)
        routes.put("v1/batch", .needs(.memoriesWrite, class: .batch), use: batchUpdate)
        routes.delete("v1/batch", .needs(.memoriesWrite, class: .batch), use: batchDelete)
        routes.get("v1/entities", .needs(.memoriesRead), use: entities)
        routes.delete("v2/entities/{type}/{name}", .needs(.memoriesWrite, class: .batch), use: deleteEntity)
    }

    /// mem0's client needs an organisation and a project to start; Context0's tenant is the
    /// key's user, so that user is the project, inside its organisation when it has one.
    @Sendable func ping(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Ping {
        let caller = try context.caller()
        return Mem0Views.Ping(
            org_id: caller.organizationID ?? caller.userID, project_id: caller.userID, user_email: nil, user_id: caller.userID)
    }

    /// `infer=false` stores each user and assistant message as a memory, at once; inference
    /// queues extraction from the user's messages (the chat extraction: facts reconciled
    /// with the same entities' memories, history kept).
    @Sendable func add(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Added {
        let caller = try context.caller()
        let add = try Mem0Requests.add(try await JSONBody(request), limits: metadataLimits)
        guard add.infer else {
            let stored = add.messages.filter { $0.role != "system" }.map {
                NewMemory(text: $0.content, metadata: PostgresJSON(text: add.metadata), entities: add.entities)
            }
            let created = try await pool.withTransaction { [store] connection in
                try stored.map { try store.create($0, userID: caller.userID, on: connection).memory }
            }
            return Mem0Views.Added(
                message: "\(created.count) memories stored", status: "SUCCEEDED", event_id: nil,
                results: created.map { Mem0Views.Added.Event(id: $0.id.apiString, memory: $0.text) })
        }
        let decision = try await admission.admit(caller, Self.inference)
        if let refusal = decision.refusal { throw refusal }
        let statements = add.messages.filter { $0.role == "user" }.map(\.content)
        guard !statements.isEmpty else {
            return Mem0Views.Added(message: "no user message to infer memories from", status: "SUCCEEDED", event_id: nil, results: [])
        }
        let job = try NewJob(
            ExtractMemoriesArgs(userID: caller.userID, statements: statements, entities: add.entities, metadata: add.metadata),
            options: JobOptions(ownerUserID: caller.userID))
        let queued = try await queue.enqueue(job, pool: pool)
        return Mem0Views.Added(message: "memory extraction queued", status: "PENDING", event_id: String(queued.id), results: [])
    }

    @Sendable func list(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Page {
        let caller = try context.caller()
        let (filter, page) = try Mem0Requests.list(try await JSONBody(request, allowingEmpty: true), request)
        let (found, total) = try await pool.withConnection { [store] in try store.list(userID: caller.userID, filter: filter, on: $0) }
        return Mem0Views.Page(found, total: total, page: page, pageSize: filter.limit)
    }

    @Sendable func search(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Results<Mem0Views.Memory> {
        let caller = try context.caller()
        let hits = try await memories.hits(try Mem0Requests.search(try await JSONBody(request)), userID: caller.userID)
        return Mem0Views.Results(results: hits.map { Mem0Views.Memory($0.memory, score: .some($0.similarity)) })
    }

    @Sendable func show(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Memory {
        let caller = try context.caller()
        let id = try MemoryRoutes.memoryID(context)
        guard let memory = try await pool.withConnection({ [store] in try store.find(id: id, userID: caller.userID, on: $0) }) else {
            throw APIError.notFound("no memory \(id.apiString)")
        }
        return Mem0Views.Memory(memory)
    }

    @Sendable func update(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Memory {
        let caller = try context.caller()
        let id = try MemoryRoutes.memoryID(context)
        let change = try Mem0Requests.change(try await JSONBody(request), limits: metadataLimits)
        let updated = try await pool.withTransaction { [store] in
            try store.update(id: id, userID: caller.userID, change: change, reason: "updated by the user", on: $0)
        }
        guard let (memory, _) = updated else { throw APIError.notFound("no memory \(id.apiString)") }
        return Mem0Views.Memory(memory)
    }

    @Sendable func delete(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Message {
        let caller = try context.caller()
        _ = try await memories.delete(try MemoryRoutes.memoryID(context), userID: caller.userID)
        return Mem0Views.Message(message: "Memory deleted successfully!")
    }

    /// Every change of a memory, also of one deleted since.
    @Sendable func history(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.List<Mem0Views.HistoryEntry> {
        let caller = try context.caller()
        let id = try MemoryRoutes.memoryID(context)
        let (entries, live, entities) = try await pool.withConnection { [store] connection in
            (try store.history(of: id, userID: caller.userID, on: connection), try store.find(id: id, userID: caller.userID, on: connection),
             try store.entities(ofMemory: id, userID: caller.userID, on: connection))
        }
        guard !entries.isEmpty else { throw APIError.notFound("no memory \(id.apiString)") }
        return Mem0Views.history(of: id, entries, live: live, entities: entities)
    }

    @Sendable func entities(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Entities {
        let caller = try context.caller()
        let found = try await pool.withConnection { [store] in try store.entities(userID: caller.userID, on: $0) }
        return Mem0Views.Entities(count: found.count, results: found.map(Mem0Views.Entity.init))
    }

    @Sendable func deleteAll(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Message {
        let caller = try context.caller()
        let deleted = try await deleteAll(of: try Mem0Requests.entities(request), userID: caller.userID)
        return Mem0Views.Message(message: "\(deleted) memories deleted successfully!")
    }

    @Sendable func deleteEntity(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Message {
        let caller = try context.caller()
        let name = context.parameters.get("name") ?? ""
        guard let field = Mem0Requests.EntityField(rawValue: "\(context.parameters.get("type") ?? "")_id") else {
            throw APIError.validation("the entity type must be user, agent, run or app", field: "type")
        }
        guard !name.isEmpty, name.unicodeScalars.count <= Mem0Requests.maxEntityLength else {
            throw APIError.validation("the entity name must be 1 to \(Mem0Requests.maxEntityLength) characters", field: "name")
        }
        var entities = MemoryEntities.none
        entities[keyPath: field.path] = name
        let deleted = try await deleteAll(of: entities, userID: caller.userID)
        guard deleted > 0 else { throw APIError.notFound("no memories of \(field.rawValue) \(name)") }
        return Mem0Views.Message(message: "Entity deleted successfully! (\(deleted) memories)")
    }

    private func deleteAll(of entities: MemoryEntities, userID: String) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await pool.withTransaction { [store] in
                try store.deleteBatch(userID: userID, entities: entities, reason: "deleted by the user", limit: Self.deletionBatch, on: $0)
            }
            total += deleted
            if deleted < Self.deletionBatch { return total }
        }
    }

    /// All or nothing: an unknown memory refuses the whole batch and changes nothing.
    @Sendable func batchUpdate(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Message {
        let caller = try context.caller()
        let items = try Mem0Requests.batch(try await JSONBody(request), limits: metadataLimits, changes: true)
        try await pool.withTransaction { [store] connection in
            for item in items {
                guard try store.update(id: item.id, userID: caller.userID, change: item.change, reason: "updated in a batch", on: connection) != nil else {
                    throw APIError.notFound("no memory \(item.id.apiString)")
                }
            }
        }
        return Mem0Views.Message(message: "Successfully updated \(items.count) memories")
    }

    /// All or nothing, as `batchUpdate`.
    @Sendable func batchDelete(_ request: Request, context: Context0RequestContext) async throws -> Mem0Views.Message {
        let caller = try context.caller()
        let items = try Mem0Requests.batch(try await JSONBody(request), limits: metadataLimits, changes: false)
        try await pool.withTransaction { [store] connection in
            for item in items {
                guard try store.delete(id: item.id, userID: caller.userID, reason: "deleted in a batch", on: connection) else {
                    throw APIError.notFound("no memory \(item.id.apiString)")
                }
            }
        }
        return Mem0Views.Message(message: "Successfully deleted \(items.count) memories")
    }
}
