import Core
import Foundation
import Hummingbird

/// How context appears in responses: every field the Context API specification lists for a node.
enum ContextViews {
    /// `POST add`: what became of each document.
    struct Added: ResponseEncodable, Sendable {
        struct Entry: Encodable, Sendable {
            let id: String
            let duplicate: Bool
            @Nullable var job_id: Int?
            let state: String
        }

        let message: String
        let documents: [Entry]
        let count: Int

        init(_ added: [ContextIntake.AddedDocument]) {
            message = "context added: \(added.filter { !$0.duplicate }.count) new document(s), embedding in the background"
            documents = added.map { Entry(id: $0.id.apiString, duplicate: $0.duplicate, job_id: $0.jobID, state: $0.duplicate ? "existing" : "chunked") }
            count = added.count
        }
    }

    /// `POST search`: best first.
    struct SearchResults: ResponseEncodable, Sendable {
        let results: [Hit]
    }

    struct Hit: Encodable, Sendable {
        let contextId: String
        let contextData: String
        let documentId: String
        let source: String
        /// Null for a node found by its words before its embedding landed.
        @Nullable var similarity: Double?
        let score: Double
        let metadata: JSONValue

        init(_ hit: ContextHit) {
            contextId = hit.nodeID.apiString
            contextData = hit.text
            documentId = hit.documentID.apiString
            source = hit.source
            similarity = hit.similarity
            score = hit.score
            metadata = JSONValue(storedText: hit.metadata).orEmptyObject
        }
    }

    /// `GET view`.
    struct NodePage: ResponseEncodable, Sendable {
        let context: [Node]
        let total: Int
        let limit: Int
        let offset: Int
    }

    /// `GET view/docs`.
    struct DocumentPage: ResponseEncodable, Sendable {
        let documents: [Document]
        let total: Int
        let limit: Int
        let offset: Int
    }

    struct Node: Encodable, Sendable {
        struct Telemetry: Encodable, Sendable {
            let document_id: String
            let position: Int
        }

        let _id: String
        let user_id: String
        @Nullable var organization_id: String?
        let parent_context_nodes: [String]
        let children_context_nodes: [String]
        let context_type: String
        let tags: [String] = []
        let source: String
        let content: String
        @Nullable var blob: String? = nil
        let indexed: Bool
        let indexable = true
        @Nullable var governing_policies: String? = nil
        let override_policy = false
        let telemetry_data: Telemetry
        let createdAt: Date
        let updatedAt: Date
        let scopes: [String]
        let metadata: [String: JSONValue]
        let corresponding_vector_id: String
        let text: String
        let score = 0

        init(_ node: ContextNode) {
            _id = node.id.apiString
            user_id = node.userID
            organization_id = node.organizationID
            parent_context_nodes = node.parentIDs.map(\.apiString)
            children_context_nodes = node.childIDs.map(\.apiString)
            context_type = node.contextType
            source = node.source
            content = node.text
            indexed = node.indexed
            telemetry_data = Telemetry(document_id: node.documentID.apiString, position: node.position)
            createdAt = node.createdAt
            updatedAt = node.updatedAt
            scopes = [node.scope]
            metadata = ContextViews.specMetadata(node)
            corresponding_vector_id = node.indexed ? node.id.apiString : ""
            text = node.text
        }
    }

    /// The document's metadata with the four keys the spec types — `size` (number),
    /// `file_name`, `doc_type` (strings) and `modalities` (strings) — always present and of
    /// those types: from the document's file details, else from the caller's metadata when
    /// it has the right type (a modality list written as a string, `"['text', 'image']"`,
    /// is read as a list), else defaults. Every other key of the caller's is kept as given.
    static func specMetadata(_ node: ContextNode) -> [String: JSONValue] {
        var metadata = if case .object(let members) = JSONValue(storedText: node.metadata) { members } else { [String: JSONValue]() }
        let givenSize: Double? = if case .number(let size) = metadata["size"] { size.rounded(.towardZero) } else { nil }
        metadata["size"] = .number(node.fileSize.map(Double.init) ?? givenSize ?? Double(node.text.utf8.count))
        metadata["file_name"] = .string(node.fileName ?? metadata["file_name"]?.stringValue ?? "")
        metadata["doc_type"] = .string(node.fileType ?? metadata["doc_type"]?.stringValue ?? "text")
        metadata["modalities"] = .array(modalities(metadata["modalities"]).map(JSONValue.string))
        return metadata
    }

    static func modalities(_ value: JSONValue?) -> [String] {
        switch value {
        case .array(let items):
            let names = items.compactMap(\.stringValue)
            if !names.isEmpty && names.count == items.count { return names }
        case .string(let text):
            let names = text.split { !$0.isLetter }.map(String.init)
            if !names.isEmpty { return names }
        default: break
        }
        return ["text"]
    }

    struct Document: Encodable, Sendable {
        let id: String
        let user_id: String
        @Nullable var organization_id: String?
        let source: String
        let context_type: String
        let scope: String
        let chained: Bool
        let metadata: JSONValue
        @Nullable var fileName: String?
        @Nullable var fileType: String?
        @Nullable var fileSize: Int?
        @Nullable var lastModified: String?
        let state: String
        let indexed: Bool
        @Nullable var node_count: Int?
        let indexed_nodes: Int
        let createdAt: Date
        let updatedAt: Date
        @Nullable var indexedAt: Date?

        init(_ document: ContextDocument) {
            id = document.id.apiString
            user_id = document.userID
            organization_id = document.organizationID
            source = document.source
            context_type = document.contextType
            scope = document.scope
            chained = document.chained
            metadata = JSONValue(storedText: document.metadata).orEmptyObject
            fileName = document.fileName
            fileType = document.fileType
            fileSize = document.fileSize
            lastModified = document.lastModified
            state = document.state
            indexed = document.state == "indexed"
            node_count = document.nodeCount
            indexed_nodes = document.indexedNodes
            createdAt = document.createdAt
            updatedAt = document.updatedAt
            indexedAt = document.indexedAt
        }
    }
}
