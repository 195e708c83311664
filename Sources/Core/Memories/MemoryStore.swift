import Foundation
import Jobs
import Postgres

/// Every statement on `memories` and `memory_history`. Every query is filtered by the
/// memory's user; nothing is hard-deleted, and every change first records the version it
/// replaces, with why.
public struct MemoryStore: Sendable {
    public let queue: JobQueue
    /// The rankings searches fuse.
    public let ranking: SearchRanking

    public init(queue: JobQueue, ranking: SearchRanking = .hybrid) {
        self.queue = queue
        self.ranking = ranking
    }

    /// Creates a memory and enqueues its indexing (embedding, then enrichment), in the
    /// caller's transaction. Returns the memory and the indexing job's id.
    public func create(_ new: NewMemory, userID: String, on connection: PostgresConnection) throws -> (memory: Memory, jobID: Int) {
        let id = UUID()
        let memory = try Memory(row: connection.query("""
            INSERT INTO memories AS m (id, user_id, entity_user_id, entity_agent_id, entity_run_id, entity_app_id,
                                       text, category, emotion, tags, metadata, source, source_refs,
                                       enrichment, category_confidence, emotion_confidence)
            VALUES (\(id), \(userID), \(new.entities.user), \(new.entities.agent), \(new.entities.run), \(new.entities.app), \(new.text), \(new.category), \(new.emotion), \(new.tags), \(new.metadata),
                    \(new.source.rawValue), \(new.sourceRefs), 'pending',
                    CASE WHEN \(new.category)::text IS NULL THEN NULL ELSE 1.0 END,
                    CASE WHEN \(new.emotion)::text IS NULL THEN NULL ELSE 1.0 END)
            RETURNING \(unsafeRaw: Memory.columns)
            """).first!)
        try recordHistory(of: memory, change: "created", reason: nil, on: connection)
        let job = try queue.enqueue(Self.indexJob(id, userID), on: connection)
        return (memory, job.id)
    }

    /// A job that is waiting covers later changes too; a running one may have read the old
    /// text, so a change while it runs gets a job of its own.
    static func indexJob(_ id: UUID, _ userID: String) throws -> NewJob {
        try NewJob(IndexMemoryArgs(memoryID: id), options: JobOptions(waitingKey: "memory.index:\(id)", ownerUserID: userID))
    }

    /// A live (not deleted) memory of the user's.
    public func find(id: UUID, userID: String, on connection: PostgresConnection) throws -> Memory? {
        try connection.query("""
            SELECT \(unsafeRaw: Memory.columns) FROM memories m WHERE m.id = \(id) AND m.user_id = \(userID) AND m.deleted_at IS NULL
            """).first.map(Memory.init(row:))
    }

    /// Every earlier version of a memory, oldest first.
    public func history(of id: UUID, userID: String, on connection: PostgresConnection) throws -> [MemoryHistoryEntry] {
        try connection.query("""
            SELECT version, change, reason, text, category, emotion, tags, valid_until, changed_at FROM memory_history
            WHERE memory_id = \(id) AND user_id = \(userID) ORDER BY id
            """).rows.map { row in
            MemoryHistoryEntry(
                version: try row.decode("version"), change: try row.decode("change"), reason: try row.decode("reason", as: String?.self),
                text: try row.decode("text"), category: try row.decode("category", as: String?.self),
                emotion: try row.decode("emotion", as: String?.self), tags: try row.decode("tags"),
                validUntil: try row.decode("valid_until", as: Date?.self), changedAt: try row.decode("changed_at"))
        }
    }

    /// Changes a memory, keeping the version it replaces in history. A new text is indexed
    /// again (and its category and emotion inferred again unless given). Nil if there is no
    /// such live memory of the user's.
    public func update(id: UUID, userID: String, change: MemoryChange, reason: String?, on connection: PostgresConnection) throws -> (memory: Memory, jobID: Int?)? {
        guard let current = try lockLive(id: id, userID: userID, on: connection) else { return nil }
        let textChanged = change.text.map { $0 != current.text } ?? false
        let memory = try Memory(row: connection.query("""
            UPDATE memories m SET
                text = coalesce(\(change.text), m.text),
                category = CASE WHEN \(change.category)::text IS NOT NULL THEN \(change.category) WHEN \(textChanged) THEN NULL ELSE m.category END,
                category_confidence = CASE WHEN \(change.category)::text IS NOT NULL THEN 1.0 WHEN \(textChanged) THEN NULL ELSE m.category_confidence END,
                emotion = CASE WHEN \(change.emotion)::text IS NOT NULL THEN \(change.emotion) WHEN \(textChanged) THEN NULL ELSE m.emotion END,
                emotion_confidence = CASE WHEN \(change.emotion)::text IS NOT NULL THEN 1.0 WHEN \(textChanged) THEN NULL ELSE m.emotion_confidence END,
                tags = coalesce(\(change.tags), m.tags),
                metadata = coalesce(\(change.metadata), m.metadata),
                embedding = CASE WHEN \(textChanged) THEN NULL ELSE m.embedding END,
                enrichment = CASE WHEN \(textChanged) THEN 'pending' ELSE m.enrichment END,
                version = m.version + 1, updated_at = now()
            WHERE m.id = \(id)
            RETURNING \(unsafeRaw: Memory.columns)
            """).first!)
        try recordHistory(of: current, change: "updated", reason: reason, on: connection)
        try WebhookEvents.emit(.memoryUpdated, userID: userID, data: [
            "memory_id": id.uuidString.lowercased(), "text": memory.text, "version": memory.version,
        ], on: connection)
        guard textChanged else { return (memory, nil) }
        let job = try queue.enqueue(Self.indexJob(id, userID), on: connection)
        return (memory, job.id)
    }

    /// Deletes a memory softly: it disappears from every read, its last version stays in
    /// history. False if there is no such live memory of the user's.
    public func delete(id: UUID, userID: String, reason: String?, on connection: PostgresConnection) throws -> Bool {
        guard let current = try lockLive(id: id, userID: userID, on: connection) else { return false }
        try recordHistory(of: current, change: "deleted", reason: reason, on: connection)
        try connection.query("UPDATE memories SET deleted_at = now(), valid_until = coalesce(valid_until, now()), updated_at = now() WHERE id = \(id)")
        return true
    }

    /// Ends a memory's validity because a newer fact contradicts it: it stays readable in
    /// history with its validity end, and points at the memory that replaced it.
    public func supersede(id: UUID, by newID: UUID, userID: String, reason: String, on connection: PostgresConnection) throws {
        guard let current = try lockLive(id: id, userID: userID, on: connection) else { return }
        try connection.query("""
            UPDATE memories SET valid_until = now(), superseded_by = \(newID), deleted_at = now(), updated_at = now() WHERE id = \(id)
            """)
        var ended = current
        ended.validUntil = Date()
        try recordHistory(of: ended, change: "superseded", reason: reason, on: connection)
    }

    func lockLive(id: UUID, userID: String, on connection: PostgresConnection) throws -> Memory? {
        try connection.query("""
            SELECT \(unsafeRaw: Memory.columns) FROM memories m
            WHERE m.id = \(id) AND m.user_id = \(userID) AND m.deleted_at IS NULL FOR UPDATE
            """).first.map(Memory.init(row:))
    }

    func recordHistory(of memory: Memory, change: String, reason: String?, on connection: PostgresConnection) throws {
        try connection.query("""
            INSERT INTO memory_history (memory_id, user_id, version, change, reason, text, category, emotion, tags, metadata, valid_until)
            VALUES (\(memory.id), \(memory.userID), \(memory.version), \(change), \(reason), \(memory.text), \(memory.category),
                    \(memory.emotion), \(memory.tags), \(PostgresJSON(text: memory.metadata)), \(memory.validUntil))
            """)
        try emitEvent(for: memory, change: change, reason: reason, on: connection)
    }

    /// The webhook event of a recorded creation or end; `update` announces updates itself
    /// (the history holds the version replaced), and enrichment is no event.
    private func emitEvent(for memory: Memory, change: String, reason: String?, on connection: PostgresConnection) throws {
        let id = memory.id.uuidString.lowercased()
        switch change {
        case "created":
            try WebhookEvents.emit(.memoryCreated, userID: memory.userID, data: [
                "memory_id": id, "text": memory.text, "category": memory.category ?? NSNull(),
                "emotion": memory.emotion ?? NSNull(), "source": memory.source.rawValue,
            ], on: connection)
        case "deleted", "superseded":
            try WebhookEvents.emit(.memoryDeleted, userID: memory.userID, data: ["memory_id": id, "reason": reason ?? change], on: connection)
        default:
            break
        }
    }
}
