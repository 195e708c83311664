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

    @Sendable func createSession(_ request: Request, context: Context0RequestContext) async throws -> EditedResponse<Envelope<ChatViews.Session>> {
        let caller = try context.caller()
        let body = try await JSONBody(request)
        let title = try body.string("title", maxLength: 200) ?? ""
        let autoExtract = try body.bool("auto_extract") ?? true
        let metadata = PostgresJSON(text: try body.metadata("metadata", limits: metadataLimits) ?? "{}")
        let session = try await pool.withConnection { [chats] in
            try chats.createSession(userID: caller.userID, title: title, autoExtract: autoExtract, metadata: metadata, on: $0)
        }
        return Envelope.answer(.created, "chat session created", ChatViews.Session(session))
    }

    @Sendable func listSessions(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Paged<ChatViews.Session>> {
        let caller = try context.caller()
        let (limit, skip) = try ChatViews.paging(request)
        let (sessions, total) = try await pool.withConnection { [chats] in try chats.sessions(userID: caller.userID, limit: limit, skip: skip, on: $0) }
        return Envelope("\(total) sessions", Paged(items: sessions.map(ChatViews.Session.init), total: total, limit: limit, skip: skip))
    }

    @Sendable func listMessages(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Paged<ChatViews.Message>> {
        let caller = try context.caller()
        let session = try await ownSession(context, caller: caller.userID)
        let (limit, skip) = try ChatViews.paging(request)
        let (messages, total) = try await pool.withConnection { [chats] in
            try chats.messages(sessionID: session.id, userID: caller.userID, limit: limit, skip: skip, on: $0)
        }
        return Envelope("\(total) messages", Paged(items: messages.map(ChatViews.Message.init), total: total, limit: limit, skip: skip))
    }

    /// Stores the message, retrieves the user's relevant memories and context, answers (LLM
    /// or offline), stores the reply, and (when the session extracts) queues extraction.
    @Sendable func sendMessage(_ request: Request, context: Context0RequestContext) async throws -> EditedResponse<Envelope<ChatViews.Reply>> {
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
                "session_id": session.id.apiString, "message_id": userMessage.id.apiString,
                "reply_id": assistantMessage.id.apiString, "mode": reply.mode,
            ], on: connection)
            return (userMessage, assistantMessage, job)
        }
        let answer = ChatViews.Reply(
            user: stored.0, assistant: stored.1, mode: reply.mode, retrieval: retrieval, readable: ReadableStores(caller), extractionJobID: stored.2)
        return Envelope.answer(.created, "reply (\(reply.mode))", answer)
    }

    /// 202 with the job that extracts memories from the session's unprocessed messages.
    @Sendable func extractMemories(_ request: Request, context: Context0RequestContext) async throws -> EditedResponse<Envelope<ChatViews.ExtractionQueued>> {
        let caller = try context.caller()
        let session = try await ownSession(context, caller: caller.userID)
        let job = try await queue.enqueue(Self.extraction(session.id, caller.userID), pool: pool)
        return Envelope.answer(.accepted, "memory extraction queued", ChatViews.ExtractionQueued(job_id: job.id, session_id: session.id.apiString))
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
