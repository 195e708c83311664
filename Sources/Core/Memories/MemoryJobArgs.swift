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

/// Finds durable facts in a chat session's new messages or a conversation document, and
/// reconciles them with the user's memories.
public struct ExtractMemoriesArgs: JobArguments {
    public static let kind = "memory.extract"
    public static var defaults: JobOptions { JobOptions(queue: "extraction", maxAttempts: 8, timeout: .seconds(300)) }
    public var userID: String
    public var sessionID: UUID?
    public var documentID: UUID?

    public init(userID: String, sessionID: UUID? = nil, documentID: UUID? = nil) {
        self.userID = userID
        self.sessionID = sessionID
        self.documentID = documentID
    }
}
