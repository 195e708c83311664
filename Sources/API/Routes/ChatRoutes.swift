import Core
import Embedding
import Foundation
import Hummingbird
import Jobs
import Postgres

/// The Chat API: sessions, their messages, replies with memory, and memory extraction.
struct ChatRoutes: Sendable {
    let pool: PostgresPool
    let chats: ChatStore
    let queue: JobQueue
    let retriever: Retriever
    let assistant: Assistant
    let embedder: any Embedder
    let metadataLimits: MetadataLimits
    static let maxMessageCharacters = 20_000

    func add(to routes: ProtectedRoutes) {
        routes.post("sessions", .needs(.chat), use: createSession)
        routes.get("sessions", .needs(.chat), use: listSessions)
        routes.get("sessions/{id}/messages", .needs(.chat), use: listMessages)
        routes.post("sessions/{id}/messages", .needs(.chat, class: .ai), use: sendMessage)
        routes.post("sessions/{id}/extract-memories", .needs(.memoriesWrite, class: .ai), use: extractMemories)
    }

    @Sendable func createSession(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let body = try await JSONBody(request)
        let title = try body.string("title", maxLength: 200) ?? ""
        let autoExtract = try body.bool("auto_extract") ?? true
        let metadata = PostgresJSON(text: try body.metadata("metadata", limits: metadataLimits) ?? "{}")
        let session = try await pool.withConnection { [chats] in
            try chats.createSession(userID: caller.userID, title: title, autoExtract: autoExtract, metadata: metadata, on: $0)
        }
        return try Envelope.make(.created, message: "chat session created", data: ChatViews.session(session))
    }

    @Sendable func listSessions(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let (limit, skip) = try ChatViews.paging(request)
        let (sessions, total) = try await pool.withConnection { [chats] in try chats.sessions(userID: caller.userID, limit: limit, skip: skip, on: $0) }
        return try Envelope.make(message: "\(total) sessions", data: MemoryViews.page(sessions.map(ChatViews.session), total: total, limit: limit, skip: skip))
    }

    @Sendable func listMessages(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let session = try await ownSession(context, caller: caller.userID)
        let (limit, skip) = try ChatViews.paging(request)
        let (messages, total) = try await pool.withConnection { [chats] in
            try chats.messages(sessionID: session.id, userID: caller.userID, limit: limit, skip: skip, on: $0)
        }
        return try Envelope.make(message: "\(total) messages", data: MemoryViews.page(messages.map(ChatViews.message), total: total, limit: limit, skip: skip))
    }

    /// Stores the message, retrieves the user's relevant memories and context, answers (LLM
    /// or offline), stores the reply, and (when the session extracts) queues extraction.
    @Sendable func sendMessage(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let session = try await ownSession(context, caller: caller.userID)
        let body = try await JSONBody(request)
        guard let content = try body.string("content", maxLength: Self.maxMessageCharacters) ?? body.string("message", maxLength: Self.maxMessageCharacters),
              !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation("content must be a non-empty string", field: "content")
        }
        let tenant = Tenant(userID: caller.userID, organizationID: caller.organizationID)
        let history = try await pool.withConnection { [chats] in try chats.recentMessages(sessionID: session.id, userID: caller.userID, count: 10, on: $0) }
        let embedding = try await embedder.embed(content)
        let retrieval = try await retriever.retrieve(for: content, embedding: embedding, caller: tenant)
        let reply = try await assistant.reply(to: content, history: history, retrieval: retrieval)
        let stored = try await pool.withTransaction { [chats, queue] connection in
            let userMessage = try chats.addMessage(sessionID: session.id, userID: caller.userID, role: "user", content: content, mode: nil, memoriesUsed: [], on: connection)
            let assistantMessage = try chats.addMessage(
                sessionID: session.id, userID: caller.userID, role: "assistant", content: reply.text, mode: reply.mode,
                memoriesUsed: retrieval.memories.map(\.memory.id), on: connection)
            try UsageMetric.recordAIOperation(userID: caller.userID, purpose: "chat", output: reply, on: connection)
            // Extraction writes memories: only for tokens that may.
            let job = session.autoExtract && caller.has(.memoriesWrite) ? try queue.enqueue(Self.extraction(session.id, caller.userID), on: connection).id : nil
            try WebhookEvents.emit(.chatMessage, userID: caller.userID, data: [
                "session_id": session.id.uuidString.lowercased(), "message_id": userMessage.id.uuidString.lowercased(),
                "reply_id": assistantMessage.id.uuidString.lowercased(), "mode": reply.mode,
            ], on: connection)
            return (userMessage, assistantMessage, job)
        }
        let readable = ReadableStores(caller)
        return try Envelope.make(.created, message: "reply (\(reply.mode))", data: [
            "user_message": ChatViews.message(stored.0),
            "assistant_message": ChatViews.message(stored.1),
            "mode": reply.mode,
            "memories_used": readable.memories ? retrieval.memories.map(MemoryViews.hit) : retrieval.memories.map(ChatViews.memoryID),
            "context_used": readable.context ? retrieval.context.map(ChatViews.contextHit) : retrieval.context.map(ChatViews.contextID),
            "extraction_job_id": stored.2.map { $0 as Any } ?? NSNull(),
        ])
    }

    /// 202 with the job that extracts memories from the session's unprocessed messages.
    @Sendable func extractMemories(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let session = try await ownSession(context, caller: caller.userID)
        let job = try await queue.enqueue(Self.extraction(session.id, caller.userID), pool: pool)
        return try Envelope.make(.accepted, message: "memory extraction queued", data: ["job_id": job.id, "session_id": session.id.uuidString.lowercased()])
    }

    /// One waiting extraction job per session: messages sent while it waits are picked up by
    /// it; a message sent while it runs gets a job of its own (extraction is idempotent).
    static func extraction(_ sessionID: UUID, _ userID: String) throws -> NewJob {
        try NewJob(ExtractMemoriesJob(userID: userID, sessionID: sessionID),
                   options: JobOptions(waitingKey: "memory.extract:session:\(sessionID)", ownerUserID: userID))
    }

    private func ownSession(_ context: Context0RequestContext, caller: String) async throws -> ChatSession {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw APIError.validation("the session id must be a UUID", field: "id")
        }
        guard let session = try await pool.withConnection({ [chats] in try chats.session(id: id, userID: caller, on: $0) }) else {
            throw APIError.notFound("no chat session \(text)")
        }
        return session
    }
}

enum ChatViews {
    static func session(_ session: ChatSession) -> [String: Any] {
        [
            "id": session.id.uuidString.lowercased(), "title": session.title, "auto_extract": session.autoExtract,
            "metadata": MemoryViews.jsonObject(session.metadata), "message_count": session.messageCount,
            "created_at": JSONResponse.time(session.createdAt), "updated_at": JSONResponse.time(session.updatedAt),
        ]
    }

    static func message(_ message: ChatMessageRecord) -> [String: Any] {
        [
            "id": message.id.uuidString.lowercased(), "session_id": message.sessionID.uuidString.lowercased(),
            "role": message.role, "content": message.content, "mode": message.mode ?? NSNull(),
            "memories_used": message.memoriesUsed.map { $0.uuidString.lowercased() },
            "created_at": JSONResponse.time(message.createdAt),
        ]
    }

    /// A memory the reply drew on, for a token that may not read memories: its id only.
    static func memoryID(_ hit: MemoryHit) -> [String: Any] {
        ["id": hit.memory.id.uuidString.lowercased()]
    }

    /// A context chunk the reply drew on, for a token that may not read context: ids only.
    static func contextID(_ hit: ContextHit) -> [String: Any] {
        ["context_id": hit.nodeID.uuidString.lowercased(), "document_id": hit.documentID.uuidString.lowercased()]
    }

    static func contextHit(_ hit: ContextHit) -> [String: Any] {
        ["context_id": hit.nodeID.uuidString.lowercased(), "document_id": hit.documentID.uuidString.lowercased(),
         "source": hit.source, "text": hit.text, "similarity": hit.similarity ?? NSNull(), "score": hit.score]
    }

    /// `limit` (0–100, default 20) and `skip`.
    static func paging(_ request: Request) throws -> (limit: Int, skip: Int) {
        let query = QueryParameters(request)
        return (try query.integer("limit", 0...MemoryRequests.maxLimit) ?? 20, try query.integer("skip", 0...10_000_000) ?? 0)
    }
}
