import Core
import Foundation
import Hummingbird
import Postgres

/// mem0's request bodies and query strings, validated into the same values the Memory API
/// uses. What mem0 accepts and Context0 does not serve is refused with a 400 that says so,
/// never ignored (docs/mem0-compatibility.md).
enum Mem0Requests {
    static let maxMessages = 100
    static let maxBatch = 1000
    static let maxPageSize = 100
    static let maxEntityLength = 255

    /// The entity id fields, by their names in mem0's bodies, filters and query strings.
    enum EntityField: String, CaseIterable, Sendable {
        case user = "user_id", agent = "agent_id", run = "run_id", app = "app_id"

        var path: WritableKeyPath<MemoryEntities, String?> {
            switch self {
            case .user: \.user
            case .agent: \.agent
            case .run: \.run
            case .app: \.app
            }
        }
    }

    /// `filters` (entity ids, directly or as `{"AND": [{…}, …]}`) and, where mem0 accepts
    /// them, the same ids at the top level of the body. The same id given twice must agree.
    static func entities(_ body: JSONBody, topLevel: Bool) throws -> MemoryEntities {
        var entities = MemoryEntities.none
        if let filters = try body.object("filters") { try collect(filters, into: &entities) }
        if topLevel {
            try collect(body.object.filter { key, _ in EntityField(rawValue: key) != nil }, into: &entities)
        }
        return entities
    }

    private static func collect(_ filters: [String: JSONValue], into entities: inout MemoryEntities) throws {
        for (key, value) in filters.sorted(by: { $0.key < $1.key }) {
            if key == "AND" {
                guard case .array(let parts) = value else { throw APIError.validation("filters.AND must be an array of objects", field: "filters") }
                for part in parts {
                    guard case .object(let members) = part else { throw APIError.validation("filters.AND must be an array of objects", field: "filters") }
                    try collect(members, into: &entities)
                }
                continue
            }
            guard let field = EntityField(rawValue: key) else {
                throw APIError.validation(
                    "filter \(key) is not supported: filters take user_id, agent_id, run_id and app_id (and AND of them)", field: "filters")
            }
            if value == .null { continue }
            guard case .string(let id) = value, !id.isEmpty, id.unicodeScalars.count <= maxEntityLength, id != "*" else {
                throw APIError.validation("\(key) must be a string of 1 to \(maxEntityLength) characters (wildcards are not supported)", field: key)
            }
            if let earlier = entities[keyPath: field.path], earlier != id {
                throw APIError.validation("\(key) is given twice with different values", field: key)
            }
            entities[keyPath: field.path] = id
        }
    }

    /// What `POST /v3/memories/add/` asks for.
    struct Add: Sendable {
        var messages: [(role: String, content: String)]
        var infer: Bool
        var metadata: String
        var entities: MemoryEntities
    }

    /// `messages` (a string, or up to `maxMessages` `{role, content}` objects), `infer`
    /// (default true), `metadata`, and the entity ids in `filters` or at the top level.
    static func add(_ body: JSONBody, limits: MetadataLimits) throws -> Add {
        let messages: [(role: String, content: String)]
        switch body.value("messages") {
        case .string(let text)?:
            messages = [("user", try content(text, at: "messages"))]
        case .array(let values)?:
            guard !values.isEmpty, values.count <= maxMessages else {
                throw APIError.validation("messages must hold 1 to \(maxMessages) messages", field: "messages")
            }
            messages = try values.enumerated().map { index, value in try message(value, at: "messages[\(index)]") }
        default:
            throw APIError.validation("messages must be a string or an array of {role, content} objects", field: "messages")
        }
        for unsupported in ["timestamp", "expiration_date", "structured_data_schema", "custom_categories"] where body.has(unsupported) {
            throw APIError.validation("\(unsupported) is not supported by this server", field: unsupported)
        }
        return Add(
            messages: messages, infer: try body.bool("infer") ?? true,
            metadata: try body.metadata("metadata", limits: limits) ?? "{}", entities: try entities(body, topLevel: true))
    }

    private static func message(_ value: JSONValue, at path: String) throws -> (role: String, content: String) {
        guard case .object(let members) = value, case .string(let role)? = members["role"], case .string(let text)? = members["content"] else {
            throw APIError.validation("\(path) must be an object with a string role and a string content", field: path)
        }
        guard ["user", "assistant", "system"].contains(role) else {
            throw APIError.validation("\(path).role must be user, assistant or system", field: path)
        }
        return (role, try content(text, at: "\(path).content"))
    }

    private static func content(_ text: String, at path: String) throws -> String {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, text.unicodeScalars.count <= MemoryRequests.maxTextCharacters else {
            throw APIError.validation("\(path) must be non-empty text of at most \(MemoryRequests.maxTextCharacters) characters", field: path)
        }
        return text
    }

    /// `query`, `top_k` (1–100, default 10), `threshold` (0–1, default 0.3) and `filters`.
    static func search(_ body: JSONBody) throws -> MemoryRequests.Search {
        guard let query = try body.string("query", maxLength: 2000), !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation("query must be a non-empty string", field: "query")
        }
        let threshold = try body.number("threshold") ?? 0.3
        guard (0...1).contains(threshold) else { throw APIError.validation("threshold must be between 0 and 1", field: "threshold") }
        var filter = MemoryFilter()
        filter.entities = try entities(body, topLevel: false)
        return MemoryRequests.Search(
            query: query, limit: try body.integer("top_k", in: 1...MemoryRequests.maxLimit) ?? 10, threshold: threshold, filter: filter)
    }

    /// `get_all`'s `filters` and the `page` (from 1) and `page_size` (1–100, default 100) query parameters.
    static func list(_ body: JSONBody, _ request: Request) throws -> (filter: MemoryFilter, page: Int) {
        let query = QueryParameters(request)
        let page = try query.integer("page", 1...1_000_000) ?? 1
        var filter = MemoryFilter()
        filter.entities = try entities(body, topLevel: false)
        filter.limit = try query.integer("page_size", 1...maxPageSize) ?? maxPageSize
        filter.skip = (page - 1) * filter.limit
        return (filter, page)
    }

    /// `DELETE /v1/memories/`'s entity ids, from the query string; at least one.
    static func entities(_ request: Request) throws -> MemoryEntities {
        let query = QueryParameters(request)
        var entities = MemoryEntities.none
        for field in EntityField.allCases {
            guard let id = try query.string(field.rawValue) else { continue }
            guard !id.isEmpty, id.unicodeScalars.count <= maxEntityLength else {
                throw APIError.validation("\(field.rawValue) must be 1 to \(maxEntityLength) characters", field: field.rawValue)
            }
            entities[keyPath: field.path] = id
        }
        guard !entities.isEmpty else {
            throw APIError.validation("deleting all memories needs at least one of user_id, agent_id, run_id or app_id", field: "user_id")
        }
        return entities
    }

    /// An update's `text` and `metadata`; `timestamp` and a non-null `expiration_date` are
    /// refused, not ignored.
    static func change(_ body: JSONBody, limits: MetadataLimits) throws -> MemoryChange {
        for unsupported in ["timestamp", "expiration_date"] where body.has(unsupported) {
            throw APIError.validation("\(unsupported) is not supported by this server", field: unsupported)
        }
        var change = MemoryChange()
        if body.has("text") {
            change.text = try content(try body.string("text", maxLength: MemoryRequests.maxTextCharacters) ?? "", at: "text")
        }
        change.metadata = try body.metadata("metadata", limits: limits).map { PostgresJSON(text: $0) }
        guard !change.isEmpty else { throw APIError.validation("nothing to change: give text or metadata", field: "text") }
        return change
    }

    /// A batch's `memories`: 1 to `maxBatch` objects, each with a `memory_id` and, for an
    /// update, what to change. Every item is validated before anything is written.
    static func batch(_ body: JSONBody, limits: MetadataLimits, changes: Bool) throws -> [(id: UUID, change: MemoryChange)] {
        guard let items = try body.array("memories"), !items.isEmpty, items.count <= maxBatch else {
            throw APIError.validation("memories must hold 1 to \(maxBatch) objects", field: "memories")
        }
        return try items.enumerated().map { index, item in
            guard case .object(let members) = item else { throw APIError.validation("memories[\(index)] must be an object", field: "memories") }
            let fields = JSONBody(object: members)
            guard let text = try fields.string("memory_id", maxLength: 64), let id = UUID(uuidString: text) else {
                throw APIError.validation("memories[\(index)].memory_id must be a memory id", field: "memories")
            }
            return (id, changes ? try change(fields, limits: limits) : MemoryChange())
        }
    }
}
