import Embedding
import Foundation
import Jobs
import LLM
import NIOPosix
import Postgres

/// Finds durable facts about a user in what they said. Offline: `FactExtractor`'s rules;
/// with an LLM: a structured prompt.
public protocol FactFinder: Sendable {
    /// "offline" or "llm": recorded with what it produced.
    var mode: String { get }
    /// The facts in `statements`, in order, without repeats. Every model request answered
    /// on the way is recorded in `spend` as it returns, also when a later one fails.
    func facts(in statements: [String], spend: UsageLog) async throws -> [String]
}

/// The rules of `FactExtractor`, no model needed.
public struct RuleFactFinder: FactFinder {
    public init() {}
    public var mode: String { "offline" }
    /// The rules walk every character of a conversation of up to two million: on NIO's
    /// thread pool for blocking work, not on one of the worker's few cooperative threads,
    /// which its heartbeats, leases and claims need.
    public func facts(in statements: [String], spend: UsageLog) async throws -> [String] {
        try await NIOThreadPool.singleton.runIfActive {
            var seen = Set<String>()
            return statements.flatMap(FactExtractor.facts(in:)).filter { seen.insert($0.lowercased()).inserted }
        }
    }
}

/// What one extraction did.
public struct ExtractionSummary: Sendable, Equatable {
    public var added = 0
    public var refined = 0
    public var superseded = 0
    public var duplicates = 0
    public var mode = "offline"
}

/// `memory.extract`: facts from a chat session's unprocessed user messages, or from a
/// conversation document, reconciled with the user's similar memories (add, refine,
/// supersede, skip duplicates), every change kept in history, every memory linked to the
/// messages or document it came from. Running twice changes nothing the second time:
/// messages are marked processed in the same transaction as the memory changes.
///
/// The model's tokens are the user's `llm_tokens` (and `llm_calls` rows, purpose
/// `memory.extract`), metered in the transaction that applies the facts, so an attempt is
/// counted exactly once with its result. An attempt that fails after the model answered
/// (a later batch's error, the messages changing meanwhile, a database error, the job's
/// time-out) spent those tokens all the same, and the provider bills them: they are metered
/// too, in a small transaction of their own, so a conversation that makes extraction fail
/// cannot spend tokens nobody counts. Extraction is no AI operation of its own: the request
/// that asked for it was counted as one, or was a chat message or a document.
public struct MemoryExtraction: Sendable {
    let pool: PostgresPool
    let memories: MemoryStore
    let chats: ChatStore
    let embedder: any Embedder
    let finder: any FactFinder

    public init(pool: PostgresPool, memories: MemoryStore, embedder: any Embedder, finder: any FactFinder) {
        self.pool = pool
        self.memories = memories
        self.chats = ChatStore()
        self.embedder = embedder
        self.finder = finder
    }

    /// Runs one job: on its chat session if it names one, else on its document. Nothing left to
    /// read (or a session or document gone) gives an empty summary.
    public func run(_ job: ExtractMemoriesArgs) async throws -> ExtractionSummary {
        if let sessionID = job.sessionID { return try await extract(session: sessionID, userID: job.userID) }
        if let documentID = job.documentID { return try await extract(document: documentID, userID: job.userID) }
        if let statements = job.statements {
            let metadata = PostgresJSON(text: job.metadata ?? "{}")
            return try await extract(statements: statements, entities: job.entities ?? .none, metadata: metadata, userID: job.userID)
        }
        return ExtractionSummary(mode: finder.mode)
    }

    private func extract(session: UUID, userID: String) async throws -> ExtractionSummary {
        // Another job may process some of the same messages meanwhile (a message sent while
        // one ran gets its own job); then this one starts over with what is left.
        for _ in 0..<5 {
            if let summary = try await extractOnce(session: session, userID: userID) { return summary }
        }
        throw ExtractionContended(session: session)
    }

    /// Nil when the pending messages changed while the facts were being found.
    private func extractOnce(session: UUID, userID: String) async throws -> ExtractionSummary? {
        let pending = try await pool.withConnection { [chats] in
            try chats.unextractedUserMessages(sessionID: session, userID: userID, on: $0)
        }
        guard !pending.isEmpty else { return ExtractionSummary(mode: finder.mode) }
        let spend = UsageLog()
        return try await meteringFailures(spend, userID: userID) { () async throws -> ExtractionSummary? in
            let facts = try await embeddedFacts(in: pending.map(\.content), spend: spend)
            return try await applySession(facts, pending: pending, session: session, userID: userID, calls: spend.calls)
        }
    }

    /// Nil, with only the calls metered, when the pending messages changed meanwhile.
    private func applySession(
        _ facts: [(text: String, embedding: [Float])], pending: [ChatMessageRecord], session: UUID, userID: String, calls: [MeteredCall]
    ) async throws -> ExtractionSummary? {
        let refs = try PostgresJSON(encoding: pending.map { ["message_id": $0.id.uuidString.lowercased()] })
        return try await pool.withTransaction { [chats, memories, finder] connection -> ExtractionSummary? in
            // First: an attempt whose messages changed spent its tokens as well.
            try UsageMetric.recordLLMCalls(calls, userID: userID, purpose: Self.purpose, on: connection)
            let still = try chats.unextractedUserMessages(sessionID: session, userID: userID, on: connection)
            guard Set(still.map(\.id)).isSuperset(of: pending.map(\.id)) else { return nil }
            var summary = try Self.apply(facts, userID: userID, into: Destination(source: .chat, refs: refs), memories: memories, on: connection)
            summary.mode = finder.mode
            try chats.markExtracted(pending.map(\.id), on: connection)
            try Self.announce(summary, userID: userID, origin: ["session_id": session.uuidString.lowercased()], on: connection)
            return summary
        }
    }

    private func extract(document: UUID, userID: String) async throws -> ExtractionSummary {
        // The transcript is split on the pool's thread too: it is up to two million characters.
        let statements = try await pool.withConnection { connection -> [String]? in
            let row = try connection.query("SELECT content FROM context_documents WHERE id = \(document) AND user_id = \(userID)").first
            return try row.map { Self.userStatements(in: try $0.decode("content", as: String.self)) }
        }
        guard let statements else { return ExtractionSummary(mode: finder.mode) }
        let refs = try PostgresJSON(encoding: [["document_id": document.uuidString.lowercased()]])
        return try await extract(
            statements: statements, into: Destination(source: .context, refs: refs), userID: userID,
            origin: ["document_id": document.uuidString.lowercased()])
    }

    private func extract(statements: [String], entities: MemoryEntities, metadata: PostgresJSON, userID: String) async throws -> ExtractionSummary {
        var origin = ["source": "statements"]
        for (key, value) in [("user_id", entities.user), ("agent_id", entities.agent), ("run_id", entities.run), ("app_id", entities.app)] {
            if let value { origin[key] = value }
        }
        let destination = Destination(source: .chat, refs: PostgresJSON(text: "[]"), entities: entities, metadata: metadata)
        return try await extract(statements: statements, into: destination, userID: userID, origin: origin)
    }

    /// Finds the facts in `statements` and applies them, with the model's tokens, in one transaction.
    private func extract(statements: [String], into destination: Destination, userID: String, origin: [String: String]) async throws -> ExtractionSummary {
        let spend = UsageLog()
        return try await meteringFailures(spend, userID: userID) { () async throws -> ExtractionSummary in
            let facts = try await embeddedFacts(in: statements, spend: spend)
            let calls = spend.calls
            return try await pool.withTransaction { [memories, finder] connection in
                try UsageMetric.recordLLMCalls(calls, userID: userID, purpose: Self.purpose, on: connection)
                var summary = try Self.apply(facts, userID: userID, into: destination, memories: memories, on: connection)
                summary.mode = finder.mode
                try Self.announce(summary, userID: userID, origin: origin, on: connection)
                return summary
            }
        }
    }

    /// The purpose extraction's calls are recorded under in `llm_calls`.
    static let purpose = "memory.extract"

    /// Runs one attempt. When it throws, the calls in `spend` were not metered with a result
    /// (the transaction that would have metered them never committed), so they are metered
    /// on their own, in a task of its own: a timed-out job's task is cancelled, and the
    /// tokens were spent all the same. Best effort: the attempt's own error is what the job
    /// reports. (A commit that succeeded but whose answer was lost would count them twice.)
    private func meteringFailures<T: Sendable>(
        _ spend: UsageLog, userID: String, _ attempt: () async throws -> T
    ) async throws -> T {
        do {
            return try await attempt()
        } catch {
            let calls = spend.calls
            guard !calls.isEmpty else { throw error }
            let pool = self.pool
            await Task {
                _ = try? await pool.withTransaction { connection in
                    try UsageMetric.recordLLMCalls(calls, userID: userID, purpose: Self.purpose, on: connection)
                }
            }.value
            throw error
        }
    }

    /// The lines a user said in a transcript: those prefixed `user:` (or `human:`, `me:`);
    /// every line when the transcript has no speaker prefixes.
    static func userStatements(in transcript: String) -> [String] {
        let lines = transcript.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let speakers = ["user:", "human:", "me:"]
        let said = lines.compactMap { line -> String? in
            let lower = line.lowercased()
            guard let prefix = speakers.first(where: lower.hasPrefix) else { return nil }
            return String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
        let hasSpeakers = lines.contains { $0.range(of: #"^[A-Za-z][A-Za-z ]{0,20}:"#, options: .regularExpression) != nil }
        return hasSpeakers ? said : lines
    }

    private func embeddedFacts(in statements: [String], spend: UsageLog) async throws -> [(text: String, embedding: [Float])] {
        let facts = try await finder.facts(in: statements, spend: spend)
        guard !facts.isEmpty else { return [] }
        return Array(zip(facts, try await embedder.embed(facts))).map { (text: $0.0, embedding: $0.1) }
    }

    /// The `memories.extracted` event, written with the extraction's changes.
    static func announce(_ summary: ExtractionSummary, userID: String, origin: [String: String], on connection: PostgresConnection) throws {
        var data: [String: Any] = [
            "created": summary.added + summary.superseded, "updated": summary.refined, "superseded": summary.superseded,
            "unchanged": summary.duplicates, "mode": summary.mode,
        ]
        data.merge(origin) { $1 }
        try WebhookEvents.emit(.memoriesExtracted, userID: userID, data: data, on: connection)
    }

    /// What new memories are made of besides their fact: where they came from and whose they are.
    struct Destination {
        var source: MemorySource
        var refs: PostgresJSON
        var entities = MemoryEntities.none
        var metadata = PostgresJSON(text: "{}")

        func memory(_ text: String) -> NewMemory {
            NewMemory(text: text, metadata: metadata, source: source, sourceRefs: refs, entities: entities)
        }
    }

    /// Reconciles each fact with the user's most similar live memories of the same entities
    /// and applies the decision.
    static func apply(
        _ facts: [(text: String, embedding: [Float])], userID: String, into destination: Destination,
        memories: MemoryStore, on connection: PostgresConnection
    ) throws -> ExtractionSummary {
        let refs = destination.refs
        var summary = ExtractionSummary()
        for fact in facts {
            let nearest = try memories.nearest(userID: userID, entities: destination.entities, embedding: fact.embedding, limit: 5, on: connection)
            let candidates = nearest.map { (id: $0.memory.id, text: $0.memory.text, similarity: $0.similarity ?? 0) }
            switch MemoryReconciler.decide(fact: fact.text, candidates: candidates) {
            case .duplicate:
                summary.duplicates += 1
            case .refine(let id):
                _ = try memories.update(id: id, userID: userID, change: MemoryChange(text: fact.text), reason: "refined by a newer statement", on: connection)
                try memories.storeEmbedding(id: id, embedding: fact.embedding, on: connection)
                try memories.appendSourceRefs(id: id, refs: refs, on: connection)
                summary.refined += 1
            case .contradict(let id):
                let created = try memories.create(destination.memory(fact.text), userID: userID, on: connection)
                try memories.storeEmbedding(id: created.memory.id, embedding: fact.embedding, on: connection)
                try memories.supersede(id: id, by: created.memory.id, userID: userID, reason: "contradicted by: \(fact.text)", on: connection)
                summary.superseded += 1
            case .add:
                let created = try memories.create(destination.memory(fact.text), userID: userID, on: connection)
                try memories.storeEmbedding(id: created.memory.id, embedding: fact.embedding, on: connection)
                summary.added += 1
            }
        }
        return summary
    }
}

/// Other jobs kept processing the same session's messages; the job is retried.
struct ExtractionContended: Error, CustomStringConvertible {
    let session: UUID
    var description: String { "the messages of session \(session) kept changing while their memories were extracted" }
}
