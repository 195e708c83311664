import Foundation
import Postgres

/// A user's chat conversation; `metadata` is JSON text, `messageCount` counts both sides.
public struct ChatSession: Sendable, Equatable {
    public var id: UUID
    public var userID: String
    public var title: String
    public var autoExtract: Bool
    public var metadata: String
    public var messageCount: Int
    public var createdAt: Date
    public var updatedAt: Date

    static let columns = "id, user_id, title, auto_extract, metadata, message_count, created_at, updated_at"

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        userID = try row.decode("user_id")
        title = try row.decode("title")
        autoExtract = try row.decode("auto_extract")
        metadata = try row.decode("metadata", as: PostgresJSON.self).text
        messageCount = try row.decode("message_count")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }
}

/// One message of a session: the user's (`role` "user", no `mode`) or the assistant's reply,
/// with the memories the reply drew on.
public struct ChatMessageRecord: Sendable, Equatable {
    public var id: UUID
    public var sessionID: UUID
    public var role: String
    public var content: String
    public var mode: String?
    public var memoriesUsed: [UUID]
    public var createdAt: Date

    static let columns = "id, session_id, role, content, mode, memories_used, created_at"

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        sessionID = try row.decode("session_id")
        role = try row.decode("role")
        content = try row.decode("content")
        mode = try row.decode("mode", as: String?.self)
        memoriesUsed = try row.decode("memories_used")
        createdAt = try row.decode("created_at")
    }
}

/// Every statement on `chat_sessions` and `chat_messages`, always within the user's own.
public struct ChatStore: Sendable {
    public init() {}

    /// Starts an empty session for the user.
    public func createSession(userID: String, title: String, autoExtract: Bool, metadata: PostgresJSON, on connection: PostgresConnection) throws -> ChatSession {
        try ChatSession(row: connection.query("""
            INSERT INTO chat_sessions (id, user_id, title, auto_extract, metadata) VALUES (\(UUID()), \(userID), \(title), \(autoExtract), \(metadata))
            RETURNING \(unsafeRaw: ChatSession.columns)
            """).first!)
    }

    /// The session with this id; nil when there is none or it is another user's.
    public func session(id: UUID, userID: String, on connection: PostgresConnection) throws -> ChatSession? {
        try connection.query("SELECT \(unsafeRaw: ChatSession.columns) FROM chat_sessions WHERE id = \(id) AND user_id = \(userID)")
            .first.map(ChatSession.init(row:))
    }

    /// A page of the user's sessions, most recently active first, and how many they have in all.
    public func sessions(userID: String, limit: Int, skip: Int, on connection: PostgresConnection) throws -> (sessions: [ChatSession], total: Int) {
        let results = try connection.pipeline([
            """
            SELECT \(unsafeRaw: ChatSession.columns) FROM chat_sessions WHERE user_id = \(userID)
            ORDER BY updated_at DESC, id LIMIT \(limit) OFFSET \(skip)
            """,
            "SELECT count(*) AS total FROM chat_sessions WHERE user_id = \(userID)",
        ])
        return (try results[0].rows.map(ChatSession.init(row:)), try results[1].first!.decode("total"))
    }

    /// A page of a session's messages, oldest first, and how many it has; none when the session
    /// is not the user's.
    public func messages(sessionID: UUID, userID: String, limit: Int, skip: Int, on connection: PostgresConnection) throws -> (messages: [ChatMessageRecord], total: Int) {
        let results = try connection.pipeline([
            """
            SELECT \(unsafeRaw: ChatMessageRecord.columns) FROM chat_messages WHERE session_id = \(sessionID) AND user_id = \(userID)
            ORDER BY created_at, id LIMIT \(limit) OFFSET \(skip)
            """,
            "SELECT count(*) AS total FROM chat_messages WHERE session_id = \(sessionID) AND user_id = \(userID)",
        ])
        return (try results[0].rows.map(ChatMessageRecord.init(row:)), try results[1].first!.decode("total"))
    }

    /// The last `count` messages of a session, oldest first (the conversation so far).
    public func recentMessages(sessionID: UUID, userID: String, count: Int, on connection: PostgresConnection) throws -> [ChatMessageRecord] {
        try connection.query("""
            SELECT * FROM (SELECT \(unsafeRaw: ChatMessageRecord.columns) FROM chat_messages
                           WHERE session_id = \(sessionID) AND user_id = \(userID) ORDER BY created_at DESC, id DESC LIMIT \(count)) recent
            ORDER BY created_at, id
            """).rows.map(ChatMessageRecord.init(row:))
    }

    /// Appends a message to a session and counts it there. Does not check that the session is
    /// the user's: the caller has already found it as theirs.
    public func addMessage(
        sessionID: UUID, userID: String, role: String, content: String, mode: String?, memoriesUsed: [UUID], on connection: PostgresConnection
    ) throws -> ChatMessageRecord {
        let message = try ChatMessageRecord(row: connection.query("""
            INSERT INTO chat_messages (id, session_id, user_id, role, content, mode, memories_used)
            VALUES (\(UUID()), \(sessionID), \(userID), \(role), \(content), \(mode), \(memoriesUsed)::uuid[])
            RETURNING \(unsafeRaw: ChatMessageRecord.columns)
            """).first!)
        try connection.query("UPDATE chat_sessions SET message_count = message_count + 1, updated_at = now() WHERE id = \(sessionID)")
        return message
    }

    /// The user's messages in a session that extraction has not looked at yet, locked so a
    /// second run of the job waits and then finds them done.
    public func unextractedUserMessages(sessionID: UUID, userID: String, on connection: PostgresConnection) throws -> [ChatMessageRecord] {
        try connection.query("""
            SELECT \(unsafeRaw: ChatMessageRecord.columns) FROM chat_messages
            WHERE session_id = \(sessionID) AND user_id = \(userID) AND role = 'user' AND extracted_at IS NULL
            ORDER BY created_at, id FOR UPDATE
            """).rows.map(ChatMessageRecord.init(row:))
    }

    /// Marks messages as read by memory extraction, in the caller's transaction with the memories
    /// made from them.
    public func markExtracted(_ ids: [UUID], on connection: PostgresConnection) throws {
        try connection.query("UPDATE chat_messages SET extracted_at = now() WHERE id = ANY(\(ids)::uuid[])")
    }
}
