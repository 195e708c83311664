import Embedding
import Foundation
import Jobs
import Postgres

/// Chatting with memory: a user's message in, the assistant's reply out, grounded in what
/// the user's memories and context say about the message.
public struct ChatService: Sendable {
    let pool: PostgresPool
    let chats: ChatStore
    let queue: JobQueue
    let retriever: Retriever
    let assistant: Assistant
    let embedder: any Embedder

    public init(pool: PostgresPool, chats: ChatStore, queue: JobQueue, retriever: Retriever, assistant: Assistant, embedder: any Embedder) {
        self.pool = pool
        self.chats = chats
        self.queue = queue
        self.retriever = retriever
        self.assistant = assistant
        self.embedder = embedder
    }

    /// What one message turned into.
    public struct Exchange: Sendable {
        public var message: ChatMessageRecord
        public var reply: ChatMessageRecord
        public var mode: String
        /// What the reply drew on.
        public var retrieval: Retrieval
        /// The extraction job that will read the message, when one was queued.
        public var extractionJobID: Int?
    }

    /// Answers `content` in `session` (the last ten messages as history), then stores the
    /// message and the reply, meters the AI operation, emits `chat.message` and, when
    /// `extract`, queues memory extraction — in one transaction, so a failure stores nothing.
    public func send(_ content: String, in session: ChatSession, from caller: Tenant, extract: Bool) async throws -> Exchange {
        let history = try await pool.withConnection { [chats] in
            try chats.recentMessages(sessionID: session.id, userID: caller.userID, count: 10, on: $0)
        }
        let embedding = try await embedder.embed(content)
        let retrieval = try await retriever.retrieve(for: content, embedding: embedding, caller: caller)
        let reply = try await assistant.reply(to: content, history: history, retrieval: retrieval)
        return try await pool.withTransaction { [chats, queue] connection in
            let message = try chats.addMessage(
                sessionID: session.id, userID: caller.userID, role: "user", content: content, mode: nil, memoriesUsed: [], on: connection)
            let answer = try chats.addMessage(
                sessionID: session.id, userID: caller.userID, role: "assistant", content: reply.text, mode: reply.mode,
                memoriesUsed: retrieval.memories.map(\.memory.id), on: connection)
            let jobs = try ChangeEffects(userID: caller.userID)
                .countingAIOperation("chat", output: reply)
                .enqueueing(extract ? try Self.extraction(session.id, caller.userID) : nil)
                .emitting(.chatMessage, [
                    "session_id": session.id.uuidString.lowercased(), "message_id": message.id.uuidString.lowercased(),
                    "reply_id": answer.id.uuidString.lowercased(), "mode": reply.mode,
                ])
                .record(queue: queue, on: connection)
            return Exchange(message: message, reply: answer, mode: reply.mode, retrieval: retrieval, extractionJobID: jobs.first)
        }
    }

    /// Queues memory extraction from the session's messages not yet read; the job's id.
    public func queueExtraction(of session: ChatSession) async throws -> Int {
        try await queue.enqueue(Self.extraction(session.id, session.userID), pool: pool).id
    }

    /// One waiting extraction job per session: messages sent while it waits are picked up by
    /// it; a message sent while it runs gets a job of its own (extraction is idempotent).
    static func extraction(_ sessionID: UUID, _ userID: String) throws -> NewJob {
        try NewJob(ExtractMemoriesArgs(userID: userID, sessionID: sessionID),
                   options: JobOptions(waitingKey: "memory.extract:session:\(sessionID)", ownerUserID: userID))
    }
}
