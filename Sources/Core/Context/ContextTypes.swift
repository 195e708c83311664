import Foundation
import Postgres

/// Who owns context: a user, and an organization when the context is shared with it.
/// Rows with no organization are private to their user; rows with one are visible to every
/// member of that organization.
public struct Tenant: Sendable, Equatable {
    public var userID: String
    public var organizationID: String?

    public init(userID: String, organizationID: String?) {
        self.userID = userID
        self.organizationID = organizationID
    }
}

/// What a document is. A `conversation` is also read for memories about its user; the others
/// are only stored and searched.
public enum ContextType: String, Sendable, Codable, CaseIterable {
    case resource, conversation, instruction
}

/// Whether context is internal or external: a label stored with it, which a search can filter by.
public enum ContextScope: String, Sendable, Codable, CaseIterable {
    case `internal`, external
}

/// A document to add, validated.
public struct NewDocument: Sendable {
    public var content: String
    public var fileName: String?
    public var fileType: String?
    public var fileSize: Int?
    public var lastModified: String?

    public init(content: String, fileName: String? = nil, fileType: String? = nil, fileSize: Int? = nil, lastModified: String? = nil) {
        self.content = content
        self.fileName = fileName
        self.fileType = fileType
        self.fileSize = fileSize
        self.lastModified = lastModified
    }
}

/// What one `add` stores: documents sharing source, type, scope, metadata and chaining.
public struct NewContext: Sendable {
    public var owner: Tenant
    public var documents: [NewDocument]
    public var source: String
    public var contextType: ContextType
    public var scope: ContextScope
    public var metadata: PostgresJSON
    public var chained: Bool

    public init(owner: Tenant, documents: [NewDocument], source: String, contextType: ContextType, scope: ContextScope, metadata: PostgresJSON, chained: Bool) {
        self.owner = owner
        self.documents = documents
        self.source = source
        self.contextType = contextType
        self.scope = scope
        self.metadata = metadata
        self.chained = chained
    }
}

/// A stored document as `add` reports it and `view/docs` lists it.
public struct ContextDocument: Sendable, Equatable {
    public var id: UUID
    public var userID: String
    public var organizationID: String?
    public var source: String
    public var contextType: String
    public var scope: String
    public var metadata: String
    public var chained: Bool
    public var fileName: String?
    public var fileType: String?
    public var fileSize: Int?
    public var lastModified: String?
    public var state: String
    public var nodeCount: Int?
    public var indexedNodes: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var indexedAt: Date?

    static let columns = """
        d.id, d.user_id, d.organization_id, d.source, d.context_type, d.scope, d.metadata, d.chained,
        d.file_name, d.file_type, d.file_size, d.last_modified, d.state, d.node_count,
        d.created_at, d.updated_at, d.indexed_at
        """

    init(row: PostgresRow, indexedNodes: Int = 0) throws {
        id = try row.decode("id")
        userID = try row.decode("user_id")
        organizationID = try row.decode("organization_id", as: String?.self)
        source = try row.decode("source")
        contextType = try row.decode("context_type")
        scope = try row.decode("scope")
        metadata = try row.decode("metadata", as: PostgresJSON.self).text
        chained = try row.decode("chained")
        fileName = try row.decode("file_name", as: String?.self)
        fileType = try row.decode("file_type", as: String?.self)
        fileSize = try row.decode("file_size", as: Int?.self)
        lastModified = try row.decode("last_modified", as: String?.self)
        state = try row.decode("state")
        nodeCount = try row.decode("node_count", as: Int?.self)
        self.indexedNodes = indexedNodes
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        indexedAt = try row.decode("indexed_at", as: Date?.self)
    }
}

/// A context node (a chunk of a document) as `view` shows it.
public struct ContextNode: Sendable, Equatable {
    public var id: UUID
    public var documentID: UUID
    public var userID: String
    public var organizationID: String?
    public var position: Int
    public var text: String
    public var indexed: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var source: String
    public var contextType: String
    public var scope: String
    public var chained: Bool
    public var metadata: String
    public var fileName: String?
    public var fileType: String?
    public var fileSize: Int?
    /// Neighbours in the document when it was added `chained`.
    public var parentIDs: [UUID]
    public var childIDs: [UUID]
}

/// One search hit.
public struct ContextHit: Sendable, Equatable {
    public var nodeID: UUID
    public var documentID: UUID
    public var text: String
    public var source: String
    /// Cosine similarity of the query and the node, 0...1 for these normalised embeddings;
    /// nil while the node has no embedding yet (found by its words).
    public var similarity: Double?
    /// The fused rank score (reciprocal rank fusion of vector and full-text ranks).
    public var score: Double
    public var metadata: String
}
