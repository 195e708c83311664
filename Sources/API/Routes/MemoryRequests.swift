import Core
import Foundation
import Hummingbird
import Postgres

/// The Memory API's request bodies and query strings, validated.
enum MemoryRequests {
    static let maxTextCharacters = 10_000
    static let maxTags = 50
    static let maxLimit = 100
    static let maxBatch = 100

    /// - Parameter limits: how large `metadata` may be (`APIConfiguration.metadataLimits`).
    static func new(_ body: JSONBody, limits: MetadataLimits = .defaults) throws -> NewMemory {
        guard let text = try body.string("text", maxLength: maxTextCharacters), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation("text must be a non-empty string of at most \(maxTextCharacters) characters", field: "text")
        }
        return NewMemory(
            text: text,
            category: try label(body, "category"),
            emotion: try label(body, "emotion"),
            tags: try tags(body) ?? [],
            metadata: PostgresJSON(text: try body.metadata("metadata", limits: limits) ?? "{}"),
            source: try body.choice("source", MemorySource.self) ?? .manual)
    }

    /// What a memory search asks for.
    struct Search: Sendable {
        var query: String
        var limit: Int
        var threshold: Double
        var filter: MemoryFilter
    }

    /// `query` (required), `limit` (1–100, default 10), `threshold` (0–1, default 0.3) and the
    /// `category`, `emotion` and `tags` filters.
    static func search(_ body: JSONBody) throws -> Search {
        guard let query = try body.string("query", maxLength: 2000), !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation("query must be a non-empty string", field: "query")
        }
        let limit = try body.integer("limit", in: 1...maxLimit) ?? 10
        let threshold = try body.number("threshold") ?? 0.3
        guard (0...1).contains(threshold) else { throw APIError.validation("threshold must be between 0 and 1", field: "threshold") }
        var filter = MemoryFilter()
        filter.category = try label(body, "category")
        filter.emotion = try label(body, "emotion")
        filter.tags = try tags(body) ?? []
        return Search(query: query, limit: limit, threshold: threshold, filter: filter)
    }

    /// Every field is validated before anything is returned, so a refused change changes nothing.
    static func change(_ body: JSONBody, limits: MetadataLimits = .defaults) throws -> (MemoryChange, reason: String?) {
        var change = MemoryChange()
        if body.has("text") {
            guard let text = try body.string("text", maxLength: maxTextCharacters), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError.validation("text must be a non-empty string of at most \(maxTextCharacters) characters", field: "text")
            }
            change.text = text
        }
        change.category = try label(body, "category")
        change.emotion = try label(body, "emotion")
        change.tags = try tags(body)
        change.metadata = try body.metadata("metadata", limits: limits).map { PostgresJSON(text: $0) }
        guard !change.isEmpty else {
            throw APIError.validation("nothing to change: give text, category, emotion, tags or metadata", field: "text")
        }
        return (change, try body.string("reason", maxLength: 500))
    }

    /// A category or emotion: lower-case letters, digits, `_` and `-`, at most 64 characters.
    static func label(_ body: JSONBody, _ field: String) throws -> String? {
        guard let value = try body.string(field, maxLength: 64) else { return nil }
        let normalized = value.lowercased()
        guard !normalized.isEmpty, normalized.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw APIError.validation("\(field) must be a word (letters, digits, _ or -)", field: field)
        }
        return normalized
    }

    /// Up to `maxTags` strings of 1 to 64 code points (as PostgreSQL's char_length counts:
    /// counted in characters, one letter with a thousand combining marks would pass).
    static func tags(_ body: JSONBody) throws -> [String]? {
        guard let values = try body.array("tags") else { return nil }
        guard values.count <= maxTags else { throw APIError.validation("at most \(maxTags) tags", field: "tags") }
        return try values.map { value in
            guard case .string(let tag) = value, !tag.isEmpty, tag.unicodeScalars.count <= 64 else {
                throw APIError.validation("tags must be non-empty strings of at most 64 characters", field: "tags")
            }
            return tag
        }
    }

    /// `a, b,c` as `["a", "b", "c"]`, split by code point: split by character, a comma
    /// followed by a combining mark is no comma, and two tags would be read as one.
    static func commaSeparated(_ text: String) -> [String] {
        text.unicodeScalars.split(separator: ",")
            .map { String(String.UnicodeScalarView($0)).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// `limit` (0–100; 0 answers only the total), `skip`, `category`, `emotion`, `source`,
    /// `tags` (comma-separated, all must match), `start_date`/`end_date` (ISO 8601 dates or
    /// times; the end date is inclusive of its whole day), `sort_by`, `order`.
    static func filter(_ request: Request) throws -> MemoryFilter {
        let query = QueryParameters(request)
        var filter = MemoryFilter()
        filter.limit = try query.integer("limit", 0...maxLimit) ?? 20
        filter.skip = try query.integer("skip", 0...10_000_000) ?? query.integer("offset", 0...10_000_000) ?? 0
        filter.category = try query.string("category")?.lowercased()
        filter.emotion = try query.string("emotion")?.lowercased()
        filter.tags = try query.string("tags").map(Self.commaSeparated) ?? []
        filter.source = try query.choice("source", MemorySource.self)
        filter.startDate = try query.date("start_date", endOfDay: false)
        filter.endDate = try query.date("end_date", endOfDay: true)
        if let start = filter.startDate, let end = filter.endDate, end < start {
            throw APIError.validation("end_date is before start_date", field: "end_date")
        }
        filter.sortBy = try query.choice("sort_by", MemoryFilter.SortField.self) ?? filter.sortBy
        filter.ascending = try query.choice("order", SortOrder.self, ignoringCase: true) == .asc
        return filter
    }

    /// A batch's `operations`: 1 to `maxBatch` objects. An operation that is no object is a
    /// malformed request, not a failed operation: refused whole, before anything runs.
    static func operations(_ body: JSONBody) throws -> [JSONValue] {
        guard let operations = try body.array("operations"), !operations.isEmpty else {
            throw APIError.validation("operations must be a non-empty array", field: "operations")
        }
        guard operations.count <= maxBatch else {
            throw APIError.validation("at most \(maxBatch) operations per batch", field: "operations")
        }
        if let index = operations.firstIndex(where: { if case .object = $0 { false } else { true } }) {
            throw APIError.validation("each operation must be an object", field: "operations[\(index)]")
        }
        return operations
    }
}

/// `order=asc|desc` (in any case); descending when left out.
enum SortOrder: String, CaseIterable {
    case asc, desc
}
