import Foundation
import Postgres

/// One end user, agent, run or app that owns live memories, with how many.
public struct MemoryEntitySummary: Sendable, Equatable {
    /// `user`, `agent`, `run` or `app`, as mem0 names them.
    public var type: String
    public var name: String
    public var memories: Int
    public var firstCreatedAt: Date
    public var lastUpdatedAt: Date
}

extension MemoryStore {
    /// Every entity that owns live memories of the user's, most recently active first.
    public func entities(userID: String, on connection: PostgresConnection) throws -> [MemoryEntitySummary] {
        try connection.query("""
            SELECT kind, name, count(*) AS memories, min(created_at) AS first_created_at, max(updated_at) AS last_updated_at
            FROM memories m
            CROSS JOIN LATERAL (VALUES ('user', m.entity_user_id), ('agent', m.entity_agent_id), ('run', m.entity_run_id), ('app', m.entity_app_id))
                AS e (kind, name)
            WHERE m.user_id = \(userID) AND m.deleted_at IS NULL AND e.name IS NOT NULL
            GROUP BY kind, name ORDER BY last_updated_at DESC, kind, name
            """).rows.map { row in
            MemoryEntitySummary(
                type: try row.decode("kind"), name: try row.decode("name"), memories: try row.decode("memories"),
                firstCreatedAt: try row.decode("first_created_at"), lastUpdatedAt: try row.decode("last_updated_at"))
        }
    }

    /// The entities of one of the user's memories, also of one deleted since; nil if there is none.
    public func entities(ofMemory id: UUID, userID: String, on connection: PostgresConnection) throws -> MemoryEntities? {
        try connection.query("""
            SELECT entity_user_id, entity_agent_id, entity_run_id, entity_app_id FROM memories WHERE id = \(id) AND user_id = \(userID)
            """).first.map { row in
            MemoryEntities(
                user: try row.decode("entity_user_id", as: String?.self), agent: try row.decode("entity_agent_id", as: String?.self),
                run: try row.decode("entity_run_id", as: String?.self), app: try row.decode("entity_app_id", as: String?.self))
        }
    }

    /// Deletes (softly, each with its `deleted` history entry and webhook event) up to
    /// `limit` live memories of the user's whose entities match `entities` — at least one
    /// id must be given. Set statements, no loop: call again until it answers 0, each call
    /// in a transaction of its own, so a large entity never holds one long transaction.
    public func deleteBatch(userID: String, entities: MemoryEntities, reason: String, limit: Int, on connection: PostgresConnection) throws -> Int {
        precondition(!entities.isEmpty, "deleting by entity needs an entity")
        var filter = MemoryFilter()
        filter.entities = entities
        return try connection.query("""
            WITH chosen AS (
                SELECT m.id, m.valid_until FROM memories m WHERE \(Self.conditions(userID: userID, filter: filter))
                ORDER BY m.id LIMIT \(limit) FOR UPDATE
            ), gone AS (
                UPDATE memories m SET deleted_at = now(), valid_until = coalesce(m.valid_until, now()), updated_at = now()
                FROM chosen WHERE m.id = chosen.id
                RETURNING m.id, m.user_id, m.version, m.text, m.category, m.emotion, m.tags, m.metadata, chosen.valid_until
            ), history AS (
                INSERT INTO memory_history (memory_id, user_id, version, change, reason, text, category, emotion, tags, metadata, valid_until)
                SELECT id, user_id, version, 'deleted', \(reason), text, category, emotion, tags, metadata, valid_until FROM gone
            ), events AS (
                SELECT count(*) FROM gone g, LATERAL emit_webhook_event(
                    g.user_id, 'memory.deleted', jsonb_build_object('memory_id', g.id, 'reason', \(reason)::text), NULL)
            )
            SELECT (SELECT count(*) FROM gone) AS deleted, (SELECT * FROM events) AS emitted
            """).first!.decode("deleted")
    }
}
