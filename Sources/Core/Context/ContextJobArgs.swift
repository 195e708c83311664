import Foundation
import Jobs

/// Splits a `pending` document into context nodes, then enqueues its embedding. New
/// documents are chunked in the request that adds them; this kind remains for documents
/// added before that.
public struct IngestDocumentArgs: JobArguments {
    public static let kind = "context.ingest"
    public static var defaults: JobOptions { JobOptions(queue: "ingest", maxAttempts: 10, timeout: .seconds(300)) }
    public var documentID: UUID

    public init(documentID: UUID) {
        self.documentID = documentID
    }
}

/// Embeds a document's nodes that have no embedding yet, and marks it indexed.
public struct EmbedDocumentArgs: JobArguments {
    public static let kind = "context.embed"
    public static var defaults: JobOptions { JobOptions(queue: "embedding", maxAttempts: 10, timeout: .seconds(600)) }
    public var documentID: UUID

    public init(documentID: UUID) {
        self.documentID = documentID
    }
}
