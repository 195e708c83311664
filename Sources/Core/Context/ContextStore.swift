import Crypto
import Foundation
import Jobs
import Postgres

/// Every statement on `context_documents` and `context_nodes`. Every read, change and
/// delete is filtered by the caller's tenant (`visible(to:)`).
public struct ContextStore: Sendable {
    public let queue: JobQueue
    /// The rankings searches fuse.
    public let ranking: SearchRanking
    /// Up to which size a caller's context is searched by scanning it rather than through
    /// the indexes every tenant shares.
    public let scanLimits: ScanLimits

    public init(queue: JobQueue, ranking: SearchRanking = .hybrid, scanLimits: ScanLimits = ScanLimits()) {
        self.queue = queue
        self.ranking = ranking
        self.scanLimits = scanLimits
    }

    /// Visible-node counts (from the text statistics) up to which search scans the caller's
    /// own nodes (found by the owner indexes) instead of the shared indexes; measured in
    /// docs/benchmarks-search.md.
    public struct ScanLimits: Sendable {
        /// The vector arm's exact scan instead of the HNSW graph walk.
        public var exactVectors: Int
        /// The text arm's test of each node instead of the GIN index lookup.
        public var text: Int

        public init(exactVectors: Int = 20_000, text: Int = 2_000) {
            self.exactVectors = exactVectors
            self.text = text
        }
    }

    /// The owners (as `context_text_owner` in SQL names them) whose text statistics cover
    /// the rows `caller` may see: its own, and its organization's shared ones.
    static func textOwners(visibleTo caller: Tenant) -> [String] {
        ["u:" + caller.userID] + (caller.organizationID.map { ["o:" + $0] } ?? [])
    }

    /// Rows `alias` may be seen by `caller`: its own private rows, and rows shared with its
    /// organization.
    static func visible(_ alias: String, to caller: Tenant) -> PostgresQuery {
        """
        ((\(unsafeRaw: alias).organization_id IS NULL AND \(unsafeRaw: alias).user_id = \(caller.userID))
         OR \(unsafeRaw: alias).organization_id = \(caller.organizationID))
        """
    }

    /// The bytes a document row of `alias` counts for in `stored_bytes`: its content and its
    /// metadata, which every document of an add carries a copy of and every view and search
    /// hit returns. Measured by PostgreSQL as the text of the stored jsonb, so an add and a
    /// delete count the same; metadata left empty (`{}`) counts nothing.
    static func storedBytes(_ alias: String) -> PostgresQuery {
        """
        (octet_length(\(unsafeRaw: alias).content)
         + CASE WHEN \(unsafeRaw: alias).metadata = '{}'::jsonb THEN 0 ELSE octet_length(\(unsafeRaw: alias).metadata::text) END)
        """
    }

    /// The hex SHA-256 of a document's content, its identity among its owner's documents.
    static func contentHash(_ content: String) -> String {
        SHA256.hash(data: Data(content.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The id of an identical document (same owner, source, file name and content), after
    /// taking this content's turn: identical adds racing each other take turns, so the second
    /// sees the first. The turn lasts until the caller's transaction ends.
    func identicalDocument(to document: NewDocument, of context: NewContext, hash: String, on connection: PostgresConnection) throws -> UUID? {
        let identity = [context.owner.userID, context.owner.organizationID ?? "", context.source, document.fileName ?? "", hash].joined(separator: "\u{1F}")
        try connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(identity), 0))")
        return try connection.query("""
            SELECT id FROM context_documents
            WHERE user_id = \(context.owner.userID) AND organization_id IS NOT DISTINCT FROM \(context.owner.organizationID)
              AND source = \(context.source) AND file_name IS NOT DISTINCT FROM \(document.fileName)
              AND content_sha256 = \(hash)
            LIMIT 1
            """).first?.decode("id")
    }

    /// Inserts a document already chunked into `nodeCount` nodes (state `chunked`); its id
    /// and the bytes it counts for in `stored_bytes`.
    func insertChunkedDocument(
        _ document: NewDocument, of context: NewContext, hash: String, nodeCount: Int, on connection: PostgresConnection
    ) throws -> (id: UUID, storedBytes: Int) {
        let id = UUID()
        let stored = try connection.query("""
            INSERT INTO context_documents (id, user_id, organization_id, source, context_type, scope, metadata, chained,
                                           file_name, file_type, file_size, last_modified, content, content_sha256, state, node_count)
            VALUES (\(id), \(context.owner.userID), \(context.owner.organizationID), \(context.source),
                    \(context.contextType.rawValue), \(context.scope.rawValue), \(context.metadata), \(context.chained),
                    \(document.fileName), \(document.fileType), \(document.fileSize), \(document.lastModified),
                    \(document.content), \(hash), 'chunked', \(nodeCount))
            RETURNING \(Self.storedBytes("context_documents")) AS stored_bytes
            """).first!.decode("stored_bytes", as: Int.self)
        return (id, stored)
    }

    /// The caller's documents, newest first, with how many of their nodes are indexed.
    public func documents(visibleTo caller: Tenant, limit: Int, offset: Int, on connection: PostgresConnection) throws -> (documents: [ContextDocument], total: Int) {
        let results = try connection.pipeline([
            """
            SELECT \(unsafeRaw: ContextDocument.columns),
                   (SELECT count(*) FROM context_nodes n WHERE n.document_id = d.id AND n.indexed) AS indexed_nodes
            FROM context_documents d WHERE \(Self.visible("d", to: caller))
            ORDER BY d.created_at DESC, d.id LIMIT \(limit) OFFSET \(offset)
            """,
            "SELECT count(*) AS total FROM context_documents d WHERE \(Self.visible("d", to: caller))",
        ])
        let documents = try results[0].rows.map { try ContextDocument(row: $0, indexedNodes: $0.decode("indexed_nodes")) }
        return (documents, try results[1].first!.decode("total"))
    }

    /// The caller's context nodes in document order, newest documents first.
    public func nodes(visibleTo caller: Tenant, source: String?, limit: Int, offset: Int, on connection: PostgresConnection) throws -> (nodes: [ContextNode], total: Int) {
        let filter: PostgresQuery = "\(Self.visible("n", to: caller)) AND (\(source)::text IS NULL OR d.source = \(source))"
        let results = try connection.pipeline([
            """
            SELECT n.id, n.document_id, n.user_id, n.organization_id, n.position, n.text, n.indexed, n.created_at, n.updated_at,
                   d.source, d.context_type, d.scope, d.chained, d.metadata, d.file_name, d.file_type, d.file_size,
                   (SELECT p.id FROM context_nodes p WHERE p.document_id = n.document_id AND p.position = n.position - 1) AS parent_id,
                   (SELECT c.id FROM context_nodes c WHERE c.document_id = n.document_id AND c.position = n.position + 1) AS child_id
            FROM context_nodes n JOIN context_documents d ON d.id = n.document_id
            WHERE \(filter)
            ORDER BY d.created_at DESC, d.id, n.position LIMIT \(limit) OFFSET \(offset)
            """,
            "SELECT count(*) AS total FROM context_nodes n JOIN context_documents d ON d.id = n.document_id WHERE \(filter)",
        ])
        let nodes = try results[0].rows.map { row in
            let chained: Bool = try row.decode("chained")
            return ContextNode(
                id: try row.decode("id"), documentID: try row.decode("document_id"), userID: try row.decode("user_id"),
                organizationID: try row.decode("organization_id", as: String?.self), position: try row.decode("position"),
                text: try row.decode("text"), indexed: try row.decode("indexed"), createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at"), source: try row.decode("source"), contextType: try row.decode("context_type"),
                scope: try row.decode("scope"), chained: chained, metadata: try row.decode("metadata", as: PostgresJSON.self).text,
                fileName: try row.decode("file_name", as: String?.self), fileType: try row.decode("file_type", as: String?.self),
                fileSize: try row.decode("file_size", as: Int?.self),
                parentIDs: chained ? [try row.decode("parent_id", as: UUID?.self)].compactMap { $0 } : [],
                childIDs: chained ? [try row.decode("child_id", as: UUID?.self)].compactMap { $0 } : [])
        }
        return (nodes, try results[1].first!.decode("total"))
    }
}
