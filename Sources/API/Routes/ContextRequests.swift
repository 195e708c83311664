import Auth
import Core
import Foundation
import Postgres

/// The Context API's request bodies, validated. Field names are the spec's.
enum ContextRequests {
    static let maxDocuments = 100
    static let maxDocumentCharacters = 2_000_000
    static let maxQueryCharacters = 2_000
    static let maxSearchLimit = 100
    /// 2^53: JSON numbers are read as doubles, which hold every whole number up to this.
    static let maxFileSize = 1 << 53

    /// The tenant a request acts for. A body `user_id` or `organization_id` naming someone
    /// other than the caller is refused unless the caller has `admin`.
    static func tenant(_ body: JSONBody, caller: Identity) throws -> Tenant {
        let userID = try body.string("user_id", maxLength: 256) ?? caller.userID
        let organizationID = try body.string("organization_id", maxLength: 256)
        // An empty id would name a real tenant nobody can have (for an admin) or be refused
        // as someone else's (for everyone else): say what is wrong instead.
        guard !userID.isEmpty else { throw APIError.validation("user_id must not be empty", field: "user_id") }
        guard organizationID?.isEmpty != true else {
            throw APIError.validation("organization_id must not be empty: leave it out for private context", field: "organization_id")
        }
        if !caller.has(.admin) {
            guard userID == caller.userID else { throw APIError.forbidden("user_id names another user") }
            if let organizationID, organizationID != caller.organizationID {
                throw APIError.forbidden("organization_id is not the caller's organization")
            }
        }
        return Tenant(userID: userID, organizationID: organizationID)
    }

    /// - Parameter limits: how large `metadata` may be (`APIConfiguration.metadataLimits`).
    static func add(_ body: JSONBody, caller: Identity, limits: MetadataLimits = .defaults) throws -> NewContext {
        let owner = try tenant(body, caller: caller)
        guard let documents = try body.array("documents"), !documents.isEmpty else {
            throw APIError.validation("documents must be a non-empty array of {content, …} objects", field: "documents")
        }
        guard documents.count <= maxDocuments else {
            throw APIError.validation("at most \(maxDocuments) documents per request", field: "documents")
        }
        let metadata = try body.metadata("metadata", limits: limits) ?? "{}"
        return NewContext(
            owner: owner,
            documents: try documents.enumerated().map { try document($1, at: $0) },
            source: try body.string("source", maxLength: 1000) ?? "",
            contextType: try body.choice("context_type", ContextType.self) ?? .resource,
            scope: try body.choice("scope", ContextScope.self) ?? .internal,
            metadata: PostgresJSON(text: metadata),
            chained: try body.bool("chained") ?? false)
    }

    private static func document(_ value: JSONValue, at index: Int) throws -> NewDocument {
        let field = "documents[\(index)]"
        guard case .object(let object) = value else { throw APIError.validation("\(field) must be an object", field: field) }
        let document = JSONBody(object: object)
        guard let content = try prefixed(field) { try document.string("content", maxLength: maxDocumentCharacters) },
              !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation("\(field).content must be a non-empty string", field: "\(field).content")
        }
        return NewDocument(
            content: content,
            fileName: try prefixed(field) { try document.string("fileName", maxLength: 1000) },
            fileType: try prefixed(field) { try document.string("fileType", maxLength: 200) },
            fileSize: try prefixed(field) { try document.integer("fileSize", in: 0...maxFileSize) },
            lastModified: try prefixed(field) { try document.string("lastModified", maxLength: 100) })
    }

    /// Re-throws a nested validation error with the full path of its field.
    private static func prefixed<T>(_ prefix: String, _ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch let error as APIError where error.field != nil {
            throw APIError.validation("\(prefix).\(error.message)", field: "\(prefix).\(error.field!)")
        }
    }

    struct Search: Sendable {
        var tenant: Tenant
        var query: String
        var minimum: Double
        var maximum: Double
        var scope: ContextScope
        var metadata: PostgresJSON?
        var limit: Int
    }

    /// - Parameter limits: how large the `metadata` filter may be, the same as stored metadata.
    static func search(_ body: JSONBody, caller: Identity, limits: MetadataLimits = .defaults) throws -> Search {
        var tenant = try tenant(body, caller: caller)
        // Searching sees what the user sees: their private context and their organization's.
        if tenant.organizationID == nil, tenant.userID == caller.userID { tenant.organizationID = caller.organizationID }
        guard let query = try body.string("query", maxLength: maxQueryCharacters),
              !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation("query must be a non-empty string", field: "query")
        }
        let maximum = try threshold(body, "similarity_threshold")
        let minimum = try threshold(body, "minimum_similarity_threshold")
        guard maximum >= minimum else {
            throw APIError.validation("similarity_threshold must be at least minimum_similarity_threshold", field: "similarity_threshold")
        }
        let metadata = try body.metadata("metadata", limits: limits)
        return Search(
            tenant: tenant, query: query, minimum: minimum, maximum: maximum,
            scope: try body.choice("scope", ContextScope.self) ?? .internal,
            metadata: metadata.flatMap { $0 == "{}" ? nil : PostgresJSON(text: $0) },
            limit: try body.integer("limit", in: 1...maxSearchLimit) ?? 10)
    }

    private static func threshold(_ body: JSONBody, _ field: String) throws -> Double {
        guard let value = try body.number(field) else { throw APIError.validation("\(field) is required (a number from 0 to 1)", field: field) }
        guard (0...1).contains(value) else { throw APIError.validation("\(field) must be between 0 and 1", field: field) }
        return value
    }

    static func delete(_ body: JSONBody, caller: Identity) throws -> (ContextStore.DeleteTarget, Tenant) {
        let tenant = try tenant(body, caller: caller)
        let byDoc = try body.bool("by_doc") ?? true
        let byID = try body.bool("by_id") ?? false
        guard let source = try body.string("source", maxLength: 1000), !source.isEmpty else {
            throw APIError.validation("source is required: the source or file name to delete (by_doc), or an id (by_id)", field: "source")
        }
        if byID {
            guard let id = UUID(uuidString: source) else { throw APIError.validation("with by_id, source must be a document or context id", field: "source") }
            return (.id(id), tenant)
        }
        guard byDoc else { throw APIError.validation("one of by_doc or by_id must be true", field: "by_doc") }
        return (.documents(matching: source), tenant)
    }
}
