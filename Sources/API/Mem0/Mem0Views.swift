import Core
import Foundation
import Hummingbird

/// How memories and their history look to mem0's clients: mem0's field names (`memory`,
/// `user_id` for the end user, `categories`) over the same records the Memory API shows.
enum Mem0Views {
    struct Memory: ResponseEncodable, Sendable {
        let id: String
        let memory: String
        @Nullable var user_id: String?
        @Nullable var agent_id: String?
        @Nullable var run_id: String?
        @Nullable var app_id: String?
        let metadata: JSONValue
        let categories: [String]
        let created_at: Date
        let updated_at: Date
        /// Cosine similarity to a search's query; only in search results, null for a memory
        /// written moments ago and found by its words before it was embedded.
        var score: Nullable<Double>?

        init(_ memory: Core.Memory, score: Double?? = nil) {
            id = memory.id.apiString
            self.memory = memory.text
            user_id = memory.entities.user
            agent_id = memory.entities.agent
            run_id = memory.entities.run
            app_id = memory.entities.app
            metadata = JSONValue(storedText: memory.metadata)
            categories = memory.category.map { [$0] } ?? []
            created_at = memory.createdAt
            updated_at = memory.updatedAt
            self.score = score.map { Nullable(wrappedValue: $0.map(MemoryViews.rounded)) }
        }
    }

    /// `get_all`'s page: `{"count", "next", "previous", "results"}`, links relative to the server.
    struct Page: ResponseEncodable, Sendable {
        let count: Int
        @Nullable var next: String?
        @Nullable var previous: String?
        let results: [Memory]

        init(_ memories: [Core.Memory], total: Int, page: Int, pageSize: Int) {
            count = total
            next = page * pageSize < total ? "/v3/memories/?page=\(page + 1)&page_size=\(pageSize)" : nil
            previous = page > 1 ? "/v3/memories/?page=\(page - 1)&page_size=\(pageSize)" : nil
            results = memories.map { Memory($0) }
        }
    }

    struct Results<Item: Encodable & Sendable>: ResponseEncodable, Sendable {
        let results: [Item]
    }

    /// What `add` did: with `infer=false` the memories stored (`SUCCEEDED`); with inference,
    /// the job that extracts them (`PENDING`; its id is the `event_id`, and
    /// `GET /api/v1/jobs/{id}` follows it).
    struct Added: ResponseEncodable, Sendable {
        struct Event: Encodable, Sendable {
            let id: String
            let memory: String
            let event = "ADD"
        }

        let message: String
        let status: String
        @Nullable var event_id: String?
        let results: [Event]
    }

    struct Message: ResponseEncodable, Sendable {
        let message: String
    }

    /// mem0's history entry: one change, with the text before and after it.
    struct HistoryEntry: Encodable, Sendable {
        let id: String
        let memory_id: String
        @Nullable var old_memory: String?
        @Nullable var new_memory: String?
        let event: String
        @Nullable var user_id: String?
        let created_at: Date
        let updated_at: Date
    }

    /// A JSON array as the whole body.
    struct List<Item: Encodable & Sendable>: ResponseEncodable, Sendable {
        let items: [Item]

        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(items)
        }
    }

    /// A memory's history as mem0 tells it: ADD, then each UPDATE with its old and new text,
    /// and DELETE (also for a memory a newer fact superseded). Enrichment (category and
    /// emotion inferred, text unchanged) is no mem0 event and is left out.
    static func history(of id: UUID, _ entries: [MemoryHistoryEntry], live: Core.Memory?, entities: MemoryEntities?) -> List<HistoryEntry> {
        var textOfVersion = [Int: String]()
        for entry in entries where textOfVersion[entry.version] == nil { textOfVersion[entry.version] = entry.text }
        if let live { textOfVersion[live.version] = live.text }
        return List(items: entries.enumerated().compactMap { index, entry in
            let (event, old, new): (String, String?, String?)
            switch entry.change {
            case "created": (event, old, new) = ("ADD", nil, entry.text)
            case "updated": (event, old, new) = ("UPDATE", entry.text, textOfVersion[entry.version + 1])
            case "deleted", "superseded": (event, old, new) = ("DELETE", entry.text, nil)
            default: return nil
            }
            return HistoryEntry(
                id: "\(id.apiString)-\(index + 1)", memory_id: id.apiString, old_memory: old, new_memory: new, event: event,
                user_id: entities?.user, created_at: entry.changedAt, updated_at: entry.changedAt)
        })
    }

    /// One entity of `GET /v1/entities/`.
    struct Entity: Encodable, Sendable {
        let id: String
        let name: String
        let type: String
        let total_memories: Int
        let created_at: Date
        let updated_at: Date

        init(_ summary: MemoryEntitySummary) {
            id = summary.name
            name = summary.name
            type = summary.type
            total_memories = summary.memories
            created_at = summary.firstCreatedAt
            updated_at = summary.lastUpdatedAt
        }
    }

    struct Entities: ResponseEncodable, Sendable {
        let count: Int
        let results: [Entity]
    }

    /// `GET /v1/ping/`: the key works. mem0 answers its organisation and project; Context0
    /// has organisations (the token's, when it has one) and no projects.
    struct Ping: ResponseEncodable, Sendable {
        let status = "ok"
        let message = "API key is valid"
        @Nullable var org_id: String?
        @Nullable var project_id: String?
        @Nullable var user_email: String?
        let user_id: String
    }
}
