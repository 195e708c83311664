import Core
import Embedding
import Foundation
import Hummingbird
import Postgres

/// The Chat API: sessions, their messages, replies with memory, and memory extraction.
struct ChatRoutes: Sendable {
    let pool: PostgresPool
    let chats: ChatStore
    let service: ChatService
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
        let (limit, skip) = try Paged<Never>.window(request)
        let (sessions, total) = try await pool.withConnection { [chats] in try chats.sessions(userID: caller.userID, limit: limit, skip: skip, on: $0) }
        return Envelope("\(total) sessions", Paged(items: sessions.map(ChatViews.Session.init), total: total, limit: limit, skip: skip))
    }

    @Sendable func listMessages(_ request: Request, context: Context0RequestContext) async throws -> Envelope<Paged<ChatViews.Message>> {
        let caller = try context.caller()
        let session = try await ownSession(context, caller: caller.userID)
        let (limit, skip) = try Paged<Never>.window(request)
        let (messages, total) = try await pool.withConnection { [chats] in
            try chats.messages(sessionID: session.id, userID: caller.userID, limit: limit, skip: skip, on: $0)
        }
        return Envelope("\(total) messages", Paged(items: messages.map(ChatViews.Message.init), total: total, limit: limit, skip: skip))
    }

    /// The reply, with what it drew on; the message's memories are extracted later when the
    /// session extracts and the token may write memories.
    @Sendable func sendMessage(_ request: Request, context: Context0RequestContext) async throws -> EditedResponse<Envelope<ChatViews.Reply>> {
        let caller = try context.caller()
        let session = try await ownSession(context, caller: caller.userID)
        let body = try await JSONBody(request)
        guard let content = try body.string("content", maxLength: Self.maxMessageCharacters) ?? body.string("message", maxLength: Self.maxMessageCharacters),
              !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.validation("content must be a non-empty string", field: "content")
        }
        let exchange = try await service.send(
            content, in: session, from: caller.tenant,
            extract: session.autoExtract && caller.has(.memoriesWrite))
        return Envelope.answer(.created, "reply (\(exchange.mode))", ChatViews.Reply(exchange, readable: ReadableStores(caller)))
    }

    /// 202 with the job that extracts memories from the session's unprocessed messages.
    @Sendable func extractMemories(_ request: Request, context: Context0RequestContext) async throws -> EditedResponse<Envelope<ChatViews.ExtractionQueued>> {
        let caller = try context.caller()
        let session = try await ownSession(context, caller: caller.userID)
        let job = try await service.queueExtraction(of: session)
        return Envelope.answer(.accepted, "memory extraction queued", ChatViews.ExtractionQueued(job_id: job, session_id: session.id.apiString))
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
