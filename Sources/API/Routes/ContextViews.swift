import Core
import Foundation

/// How context appears in responses: every field `spec/context-api.md` lists for a node.
enum ContextViews {
    static func node(_ node: ContextNode) -> [String: Any] {
        let metadata = specMetadata(node)
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

    /// The document's metadata with the four keys the spec types — `size` (number),
    /// `file_name`, `doc_type` (strings) and `modalities` (strings) — always present and of
    /// those types: from the document's file details, else from the caller's metadata when
    /// it has the right type (a modality list written as a string, `"['text', 'image']"`,
    /// is read as a list), else defaults. Every other key of the caller's is kept as given.
    static func specMetadata(_ node: ContextNode) -> [String: Any] {
        var metadata = (try? JSONSerialization.jsonObject(with: Data(node.metadata.utf8))) as? [String: Any] ?? [:]
        metadata["size"] = node.fileSize ?? (metadata["size"] as? NSNumber).map(\.intValue) ?? node.text.utf8.count
        metadata["file_name"] = node.fileName ?? metadata["file_name"] as? String ?? ""
        metadata["doc_type"] = node.fileType ?? metadata["doc_type"] as? String ?? "text"
        metadata["modalities"] = modalities(metadata["modalities"])
        return metadata
    }

    static func modalities(_ value: Any?) -> [String] {
        if let list = value as? [String], !list.isEmpty { return list }
        if let text = value as? String {
            let names = text.split { !$0.isLetter }.map(String.init)
            if !names.isEmpty { return names }
        }
        return ["text"]
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
