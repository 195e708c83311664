import Foundation
import Jobs
import Postgres

extension ContextStore {
    /// What a delete request names.
    public enum DeleteTarget: Sendable, Equatable {
        /// Every document whose `source` or whose file name equals this text.
        case documents(matching: String)
        /// One document (with all its nodes) or one context node, by id.
        case id(UUID)
    }

    /// Deletes within one tenant: `owner`'s private context when it has no organization,
    /// else the context shared with that organization. Nodes, vectors and the documents'
    /// pending jobs go with them. Returns how many documents and nodes were deleted.
    public func delete(_ target: DeleteTarget, in owner: Tenant, on connection: PostgresConnection) throws -> (documents: Int, nodes: Int) {
        let tenant: PostgresQuery = owner.organizationID == nil
            ? "d.organization_id IS NULL AND d.user_id = \(owner.userID)"
            : "d.organization_id = \(owner.organizationID)"
        switch target {
        case .documents(let text):
            let ids = try connection.query("""
                DELETE FROM context_documents d WHERE \(tenant) AND (d.source = \(text) OR d.file_name = \(text))
                RETURNING d.id, d.node_count, d.user_id, \(Self.storedBytes("d")) AS bytes
                """).rows
            return try finishDocumentDelete(ids, on: connection)
        case .id(let id):
            let ids = try connection.query("DELETE FROM context_documents d WHERE \(tenant) AND d.id = \(id) RETURNING d.id, d.node_count, d.user_id, \(Self.storedBytes("d")) AS bytes").rows
            if !ids.isEmpty { return try finishDocumentDelete(ids, on: connection) }
            let nodes = try connection.query("""
                DELETE FROM context_nodes n USING context_documents d
                WHERE n.id = \(id) AND d.id = n.document_id AND \(tenant)
                RETURNING n.document_id
                """).rows
            for row in nodes {
                try connection.query("""
                    UPDATE context_documents SET node_count = node_count - 1, updated_at = now() WHERE id = \(try row.decode("document_id", as: UUID.self))
                    """)
            }
            return (0, nodes.count)
        }
    }

    private func finishDocumentDelete(_ rows: [PostgresRow], on connection: PostgresConnection) throws -> (documents: Int, nodes: Int) {
        let ids = try rows.map { try $0.decode("id", as: UUID.self).uuidString }
        let nodes = try rows.reduce(0) { $0 + (try $1.decode("node_count", as: Int?.self) ?? 0) }
        var deletedByUser = [String: (documentIDs: [String], bytes: Int)]()
        for row in rows {
            let userID: String = try row.decode("user_id")
            deletedByUser[userID, default: ([], 0)].documentIDs.append(try row.decode("id", as: UUID.self).uuidString.lowercased())
            deletedByUser[userID, default: ([], 0)].bytes += try row.decode("bytes", as: Int.self)
        }
        for (userID, deleted) in deletedByUser.sorted(by: { $0.key < $1.key }) {
            try ChangeEffects(userID: userID)
                .metering(.storedBytes, -deleted.bytes)
                .emitting(.contextDeleted, ["document_ids": deleted.documentIDs])
                .record(on: connection)
        }
        try queue.cancelPending(
            kinds: [IngestDocumentArgs.kind, EmbedDocumentArgs.kind, ExtractMemoriesArgs.kind], argument: "documentID",
            in: ids.map { $0.uppercased() } + ids.map { $0.lowercased() }, on: connection)
        return (rows.count, nodes)
    }
}
