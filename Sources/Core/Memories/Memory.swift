import Foundation
import Postgres

/// Where a memory came from.
public enum MemorySource: String, Sendable, Codable, CaseIterable {
    case manual, chat, context
}

/// A durable fact about a user.
public struct Memory: Sendable, Equatable {
    public var id: UUID
    public var userID: String
    public var text: String
    public var category: String?
    public var categoryConfidence: Double?
    public var emotion: String?
    public var emotionConfidence: Double?
    public var tags: [String]
    public var metadata: String
    public var source: MemorySource
    public var sourceRefs: String
    public var enrichment: String
    public var version: Int
    public var validFrom: Date
    public var validUntil: Date?
    public var supersededBy: UUID?
    public var deletedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    /// Whose it is inside its user, for mem0's clients; none when made through Context0's API.
    public var entities: MemoryEntities

    static let columns = """
        m.id, m.user_id, m.entity_user_id, m.entity_agent_id, m.entity_run_id, m.entity_app_id, m.text, m.category, m.category_confidence::float8 AS category_confidence, m.emotion,
        m.emotion_confidence::float8 AS emotion_confidence, m.tags, m.metadata, m.source, m.source_refs, m.enrichment,
        m.version, m.valid_from, m.valid_until, m.superseded_by, m.deleted_at, m.created_at, m.updated_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        userID = try row.decode("user_id")
        text = try row.decode("text")
        category = try row.decode("category", as: String?.self)
        categoryConfidence = try row.decode("category_confidence", as: Double?.self)
        emotion = try row.decode("emotion", as: String?.self)
        emotionConfidence = try row.decode("emotion_confidence", as: Double?.self)
        tags = try row.decode("tags")
        metadata = try row.decode("metadata", as: PostgresJSON.self).text
        source = MemorySource(rawValue: try row.decode("source")) ?? .manual
        sourceRefs = try row.decode("source_refs", as: PostgresJSON.self).text
        enrichment = try row.decode("enrichment")
        version = try row.decode("version")
        validFrom = try row.decode("valid_from")
        validUntil = try row.decode("valid_until", as: Date?.self)
        supersededBy = try row.decode("superseded_by", as: UUID?.self)
        deletedAt = try row.decode("deleted_at", as: Date?.self)
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        entities = MemoryEntities(
            user: try row.decode("entity_user_id", as: String?.self), agent: try row.decode("entity_agent_id", as: String?.self),
            run: try row.decode("entity_run_id", as: String?.self), app: try row.decode("entity_app_id", as: String?.self))
    }
}

/// mem0's entity ids: the end user, agent, run and app a memory belongs to inside its
/// Context0 user (the API key's tenant). Every id is optional; a memory made through
/// Context0's own API has none. In a filter, each id given must match and the others do not
/// matter; in reconciliation all four must match (`MemoryStore.nearest`).
public struct MemoryEntities: Sendable, Equatable, Hashable, Codable {
    public var user: String?
    public var agent: String?
    public var run: String?
    public var app: String?

    public init(user: String? = nil, agent: String? = nil, run: String? = nil, app: String? = nil) {
        self.user = user
        self.agent = agent
        self.run = run
        self.app = app
    }

    /// No entity at all.
    public static let none = MemoryEntities()

    public var isEmpty: Bool { self == .none }

    enum CodingKeys: String, CodingKey {
        case user = "user_id", agent = "agent_id", run = "run_id", app = "app_id"
    }
}

/// An earlier version of a memory and why it changed.
public struct MemoryHistoryEntry: Sendable, Equatable {
    public var version: Int
    public var change: String
    public var reason: String?
    public var text: String
    public var category: String?
    public var emotion: String?
    public var tags: [String]
    public var validUntil: Date?
    public var changedAt: Date
}

/// A memory to create.
public struct NewMemory: Sendable {
    public var text: String
    public var category: String?
    public var emotion: String?
    public var tags: [String]
    public var metadata: PostgresJSON
    public var source: MemorySource
    public var sourceRefs: PostgresJSON
    public var entities: MemoryEntities

    public init(text: String, category: String? = nil, emotion: String? = nil, tags: [String] = [],
                metadata: PostgresJSON = PostgresJSON(text: "{}"), source: MemorySource = .manual,
                sourceRefs: PostgresJSON = PostgresJSON(text: "[]"), entities: MemoryEntities = .none) {
        self.text = text
        self.category = category
        self.emotion = emotion
        self.tags = tags
        self.metadata = metadata
        self.source = source
        self.sourceRefs = sourceRefs
        self.entities = entities
    }
}

/// Fields to change; nil leaves a field as it is.
public struct MemoryChange: Sendable {
    public var text: String?
    public var category: String?
    public var emotion: String?
    public var tags: [String]?
    public var metadata: PostgresJSON?

    public init(text: String? = nil, category: String? = nil, emotion: String? = nil, tags: [String]? = nil, metadata: PostgresJSON? = nil) {
        self.text = text
        self.category = category
        self.emotion = emotion
        self.tags = tags
        self.metadata = metadata
    }

    public var isEmpty: Bool { text == nil && category == nil && emotion == nil && tags == nil && metadata == nil }
}

/// Filters, sorting and paging for listing memories.
public struct MemoryFilter: Sendable {
    /// What to sort by; the raw value is the `memories` column, put into the SQL as is.
    public enum SortField: String, Sendable, CaseIterable {
        case createdAt = "created_at", updatedAt = "updated_at", category, emotion
    }

    public var category: String?
    public var emotion: String?
    public var tags: [String] = []
    public var source: MemorySource?
    /// The entity ids that must match; those left nil do not matter.
    public var entities = MemoryEntities.none
    public var startDate: Date?
    public var endDate: Date?
    public var sortBy: SortField = .createdAt
    public var ascending = false
    public var limit = 20
    public var skip = 0

    public init() {}
}

/// One memory search hit.
public struct MemoryHit: Sendable {
    public var memory: Memory
    /// Cosine similarity to the query; nil for a memory not embedded yet, found by its words.
    public var similarity: Double?
    public var score: Double
}
