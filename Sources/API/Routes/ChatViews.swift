import Core
import Foundation
import Hummingbird

/// How chat sessions, messages and replies appear in responses.
enum ChatViews {
    struct Session: Encodable, Sendable {
        let id: String
        let title: String
        let auto_extract: Bool
        let metadata: JSONValue
        let message_count: Int
        let created_at: Date
        let updated_at: Date

        init(_ session: ChatSession) {
            id = session.id.apiString
            title = session.title
            auto_extract = session.autoExtract
            metadata = JSONValue(storedText: session.metadata)
            message_count = session.messageCount
            created_at = session.createdAt
            updated_at = session.updatedAt
        }
    }

    struct Message: Encodable, Sendable {
        let id: String
        let session_id: String
        let role: String
        let content: String
        @Nullable var mode: String?
        let memories_used: [String]
        let created_at: Date

        init(_ message: ChatMessageRecord) {
            id = message.id.apiString
            session_id = message.sessionID.apiString
            role = message.role
            content = message.content
            mode = message.mode
            memories_used = message.memoriesUsed.map(\.apiString)
            created_at = message.createdAt
        }
    }

    /// A memory or context chunk the reply drew on: whole for a token that may read it, its
    /// ids only otherwise.
    enum Drawn<Whole: Encodable & Sendable, IDs: Encodable & Sendable>: Encodable, Sendable {
        case whole(Whole)
        case ids(IDs)

        func encode(to encoder: Encoder) throws {
            switch self {
            case .whole(let value): try value.encode(to: encoder)
            case .ids(let value): try value.encode(to: encoder)
            }
        }
    }

    struct MemoryID: Encodable, Sendable {
        let id: String
    }

    struct ContextIDs: Encodable, Sendable {
        let context_id: String
        let document_id: String
    }

    struct ContextHit: Encodable, Sendable {
        let context_id: String
        let document_id: String
        let source: String
        let text: String
        /// Null for a chunk found by its words before its embedding landed.
        @Nullable var similarity: Double?
        let score: Double
    }

    /// `POST /chat/sessions/{id}/messages`: both messages, what the reply drew on, and the
    /// extraction job when one was queued.
    struct Reply: Encodable, Sendable {
        let user_message: Message
        let assistant_message: Message
        let mode: String
        let memories_used: [Drawn<MemoryViews.Hit, MemoryID>]
        let context_used: [Drawn<ContextHit, ContextIDs>]
        @Nullable var extraction_job_id: Int?

        init(_ exchange: ChatService.Exchange, readable: ReadableStores) {
            let retrieval = exchange.retrieval
            user_message = Message(exchange.message)
            assistant_message = Message(exchange.reply)
            mode = exchange.mode
            memories_used = retrieval.memories.map { hit in
                readable.memories ? .whole(MemoryViews.hit(hit)) : .ids(MemoryID(id: hit.memory.id.apiString))
            }
            context_used = retrieval.context.map { hit in
                let ids = ContextIDs(context_id: hit.nodeID.apiString, document_id: hit.documentID.apiString)
                return readable.context
                    ? .whole(ContextHit(context_id: ids.context_id, document_id: ids.document_id, source: hit.source, text: hit.text,
                                        similarity: hit.similarity, score: hit.score))
                    : .ids(ids)
            }
            extraction_job_id = exchange.extractionJobID
        }
    }

    /// `POST /chat/sessions/{id}/extract`.
    struct ExtractionQueued: Encodable, Sendable {
        let job_id: Int
        let session_id: String
    }
}
