import Foundation
import Jobs
import Postgres

/// A document as the ingest job needs it.
public struct DocumentToIngest: Sendable {
    public var id: UUID
    public var owner: Tenant
    public var content: String
    /// The content's hash when it was read: its chunks are stored only if it is unchanged.
    public var contentSHA256: String
    public var state: String
}

extension ContextStore {
    /// The document, read without a lock: chunking it takes a while, and must neither keep
    /// the row locked (its owner's delete, the job's own retries would wait) nor a
    /// transaction open. Nil if it was deleted.
    public func documentToIngest(id: UUID, on connection: PostgresConnection) throws -> DocumentToIngest? {
        try connection.query("SELECT id, user_id, organization_id, content, content_sha256, state FROM context_documents WHERE id = \(id)")
            .first.map { row in
                DocumentToIngest(
                    id: try row.decode("id"),
                    owner: Tenant(userID: try row.decode("user_id"), organizationID: try row.decode("organization_id", as: String?.self)),
                    content: try row.decode("content"), contentSHA256: try row.decode("content_sha256"), state: try row.decode("state"))
            }
    }

    /// Stores the chunks of a document added `pending` (by a version that chunked in a worker)
    /// as its nodes and enqueues their embedding, in the caller's transaction, if the
    /// document is still as it was read: there, pending, with the same
    /// content. The document is locked first, so of two runs of its ingest job only the first
    /// to get here stores anything. Returns whether the chunks were stored.
    @discardableResult
    public func storeChunks(_ chunks: [TextChunker.Chunk], of document: DocumentToIngest, on connection: PostgresConnection) throws -> Bool {
        let unchanged = try connection.query("""
            SELECT 1 FROM context_documents
            WHERE id = \(document.id) AND state = 'pending' AND content_sha256 = \(document.contentSHA256)
            FOR UPDATE
            """).first != nil
        guard unchanged else { return false }
        try storeNodes(chunks, of: document.id, owner: document.owner, on: connection)
        try connection.query("""
            UPDATE context_documents SET state = 'chunked', node_count = \(chunks.count), updated_at = now() WHERE id = \(document.id)
            """)
        return true
    }

    /// Inserts a document's chunks as its nodes, not yet indexed, and enqueues their
    /// embedding; returns the embedding job's id.
    @discardableResult
    func storeNodes(_ chunks: [TextChunker.Chunk], of documentID: UUID, owner: Tenant, on connection: PostgresConnection) throws -> Int {
        let ids = chunks.map { _ in UUID() }
        try connection.query("""
            INSERT INTO context_nodes (id, document_id, user_id, organization_id, position, text, token_count)
            SELECT id, \(documentID), \(owner.userID), \(owner.organizationID), position - 1, text, tokens
            FROM unnest(\(ids)::uuid[], \(chunks.map(\.text))::text[], \(chunks.map(\.tokenCount))::integer[])
                WITH ORDINALITY AS chunk (id, text, tokens, position)
            ON CONFLICT (document_id, position) DO NOTHING
            """)
        return try queue.enqueue(
            try NewJob(
                EmbedDocumentArgs(documentID: documentID),
                options: JobOptions(uniqueKey: "context.embed:\(documentID)", ownerUserID: owner.userID)),
            on: connection).id
    }

    /// Nodes of a document that have no embedding yet.
    public func nodesToEmbed(documentID: UUID, limit: Int, on connection: PostgresConnection) throws -> [(id: UUID, text: String)] {
        try connection.query("""
            SELECT id, text FROM context_nodes WHERE document_id = \(documentID) AND embedding IS NULL ORDER BY position LIMIT \(limit)
            """).rows.map { (try $0.decode("id"), try $0.decode("text")) }
    }

    /// Stores embeddings, marking those nodes indexed, and the document too once every node is;
    /// run it in a transaction (the job does). Only nodes still without an embedding are
    /// written and metered, so a retry after a crash neither bills a chunk twice nor emits
    /// `context.indexed` twice.
    public func storeEmbeddings(_ embeddings: [(id: UUID, vector: [Float])], documentID: UUID, on connection: PostgresConnection) throws {
        // The document first, as a delete locks it before its nodes (cascade): the same order
        // cannot deadlock with a delete, and two runs for one document take turns, so the
        // last to commit sees every vector and marks the document indexed. Gone: nothing to do.
        guard try connection.query("SELECT 1 FROM context_documents WHERE id = \(documentID) FOR NO KEY UPDATE").first != nil else { return }
        if !embeddings.isEmpty {
            try connection.query("""
                WITH stored AS (
                    UPDATE context_nodes n SET embedding = e.vector::vector, indexed = true, updated_at = now()
                    FROM unnest(\(embeddings.map(\.id))::uuid[], \(embeddings.map { PostgresVector($0.vector).postgresText })::text[]) AS e (id, vector)
                    WHERE n.id = e.id AND n.embedding IS NULL
                    RETURNING n.user_id
                )
                INSERT INTO usage_hourly (user_id, metric, hour, quantity)
                SELECT user_id, \(UsageMetric.embeddedChunks), date_trunc('hour', now()), count(*) FROM stored GROUP BY user_id
                ON CONFLICT (user_id, metric, hour) DO UPDATE SET quantity = usage_hourly.quantity + excluded.quantity
                """)
        }
        let indexed = try connection.query("""
            UPDATE context_documents SET state = 'indexed', indexed_at = now(), updated_at = now()
            WHERE id = \(documentID) AND state <> 'indexed'
              AND NOT EXISTS (SELECT 1 FROM context_nodes WHERE document_id = \(documentID) AND embedding IS NULL)
            RETURNING user_id, node_count
            """).first
        if let indexed {
            try WebhookEvents.emit(.contextIndexed, userID: try indexed.decode("user_id"), data: [
                "document_id": documentID.uuidString.lowercased(), "chunks": try indexed.decode("node_count", as: Int?.self) ?? 0,
            ], on: connection)
        }
    }

    /// Marks a document whose ingestion failed for good.
    public func markFailed(documentID: UUID, on connection: PostgresConnection) throws {
        try connection.query("UPDATE context_documents SET state = 'failed', updated_at = now() WHERE id = \(documentID)")
    }
}
