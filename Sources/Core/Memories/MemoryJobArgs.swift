import Foundation
import Jobs

/// Embeds a memory and, when it has no category or emotion, infers them.
public struct IndexMemoryArgs: JobArguments {
    public static let kind = "memory.index"
    public static var defaults: JobOptions { JobOptions(queue: "embedding", maxAttempts: 10, timeout: .seconds(120)) }
    public var memoryID: UUID

    public init(memoryID: UUID) {
        self.memoryID = memoryID
    }
}

/// Finds durable facts in a chat session's new messages, a conversation document or
/// statements given with the job (mem0's `add` with `infer`), and reconciles them with the
/// user's memories of the same entities.
public struct ExtractMemoriesArgs: JobArguments {
    public static let kind = "memory.extract"
    public static var defaults: JobOptions { JobOptions(queue: "extraction", maxAttempts: 8, timeout: .seconds(300)) }
    public var userID: String
    public var sessionID: UUID?
    public var documentID: UUID?
    /// What the user said, when neither a session nor a document holds it.
    public var statements: [String]?
    /// Whose memories the facts become (mem0's entity ids); none when nil.
    public var entities: MemoryEntities?
    /// Merged into each new memory's metadata.
    public var metadata: String?

    public init(
        userID: String, sessionID: UUID? = nil, documentID: UUID? = nil, statements: [String]? = nil,
        entities: MemoryEntities? = nil, metadata: String? = nil
    ) {
        self.userID = userID
        self.sessionID = sessionID
        self.documentID = documentID
        self.statements = statements
        self.entities = entities
        self.metadata = metadata
    }
}
