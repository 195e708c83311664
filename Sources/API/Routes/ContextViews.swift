import Core
import Foundation

/// How context appears in responses: every field `spec/context-api.md` lists for a node.
enum ContextViews {
    static func node(_ node: ContextNode) -> [String: Any] {
        var metadata = (try? JSONSerialization.jsonObject(with: Data(node.metadata.utf8))) as? [String: Any] ?? [:]
        metadata["size"] = metadata["size"] ?? node.fileSize ?? node.text.utf8.count
        metadata["file_name"] = metadata["file_name"] ?? node.fileName ?? NSNull()
        metadata["doc_type"] = metadata["doc_type"] ?? node.fileType ?? NSNull()
        metadata["modalities"] = metadata["modalities"] ?? ["text"]
        let id = node.id.uuidString.lowercased()
        return [
            "_id": id,
            "user_id": node.userID,
            "organization_id": node.organizationID ?? NSNull(),
            "parent_context_nodes": node.parentIDs.map { $0.uuidString.lowercased() },
            "children_context_nodes": node.childIDs.map { $0.uuidString.lowercased() },
            "context_type": node.contextType,
            "tags": [String](),
            "source": node.source,
            "content": node.text,
            "blob": NSNull(),
            "indexed": node.indexed,
            "indexable": true,
            "governing_policies": NSNull(),
            "override_policy": false,
            "telemetry_data": ["document_id": node.documentID.uuidString.lowercased(), "position": node.position],
            "createdAt": JSONResponse.time(node.createdAt),
            "updatedAt": JSONResponse.time(node.updatedAt),
            "scopes": [node.scope],
            "metadata": metadata,
            "corresponding_vector_id": node.indexed ? id : "",
            "text": node.text,
            "score": 0,
        ]
    }

    static func document(_ document: ContextDocument) -> [String: Any] {
        [
            "id": document.id.uuidString.lowercased(),
            "user_id": document.userID,
            "organization_id": document.organizationID ?? NSNull(),
            "source": document.source,
            "context_type": document.contextType,
            "scope": document.scope,
            "chained": document.chained,
            "metadata": (try? JSONSerialization.jsonObject(with: Data(document.metadata.utf8))) ?? [:],
            "fileName": document.fileName ?? NSNull(),
            "fileType": document.fileType ?? NSNull(),
            "fileSize": document.fileSize ?? NSNull(),
            "lastModified": document.lastModified ?? NSNull(),
            "state": document.state,
            "indexed": document.state == "indexed",
            "node_count": document.nodeCount ?? NSNull(),
            "indexed_nodes": document.indexedNodes,
            "createdAt": JSONResponse.time(document.createdAt),
            "updatedAt": JSONResponse.time(document.updatedAt),
            "indexedAt": JSONResponse.time(document.indexedAt),
        ]
    }
}
