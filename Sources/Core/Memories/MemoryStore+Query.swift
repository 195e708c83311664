import Foundation
import Postgres

extension MemoryStore {
    /// A page of the user's live memories and how many match in all.
    public func list(userID: String, filter: MemoryFilter, on connection: PostgresConnection) throws -> (memories: [Memory], total: Int) {
        let conditions = Self.conditions(userID: userID, filter: filter)
        // The sort column comes from a closed enum, never from the request's text.
        let order = "m.\(filter.sortBy.rawValue) \(filter.ascending ? "ASC" : "DESC") NULLS LAST, m.id"
        let results = try connection.pipeline([
            """
            SELECT \(unsafeRaw: Memory.columns) FROM memories m WHERE \(conditions)
            ORDER BY \(unsafeRaw: order) LIMIT \(filter.limit) OFFSET \(filter.skip)
            """,
            "SELECT count(*) AS total FROM memories m WHERE \(conditions)",
        ])
        return (try results[0].rows.map(Memory.init(row:)), try results[1].first!.decode("total"))
    }

    static func conditions(userID: String, filter: MemoryFilter) -> PostgresQuery {
        """
        m.user_id = \(userID) AND m.deleted_at IS NULL
        AND (\(filter.category)::text IS NULL OR m.category = \(filter.category))
        AND (\(filter.emotion)::text IS NULL OR m.emotion = \(filter.emotion))
        AND (\(filter.source?.rawValue)::text IS NULL OR m.source = \(filter.source?.rawValue))
        AND (\(filter.entities.user)::text IS NULL OR m.entity_user_id = \(filter.entities.user))
        AND (\(filter.entities.agent)::text IS NULL OR m.entity_agent_id = \(filter.entities.agent))
        AND (\(filter.entities.run)::text IS NULL OR m.entity_run_id = \(filter.entities.run))
        AND (\(filter.entities.app)::text IS NULL OR m.entity_app_id = \(filter.entities.app))
        AND m.tags @> \(filter.tags)::text[]
        AND (\(filter.startDate)::timestamptz IS NULL OR m.created_at >= \(filter.startDate))
        AND (\(filter.endDate)::timestamptz IS NULL OR m.created_at < \(filter.endDate))
        """
    }

    /// Semantic + full-text search of the user's live memories, each ranking's best
    /// candidates scored by the weighted sum of cosine similarity and normalised BM25
    /// (`SearchRanking.vectorWeight`), keeping hits whose cosine similarity is at least
    /// `threshold`; best first. The text
    /// arm is BM25 with OR semantics (`TextRanking`). A user's memories are few enough for
    /// statistics at query time: the number of live memories from its index, and each term's
    /// document frequency counted among the matches (every memory holding a query term, up
    /// to the budget, within the filters). A memory not embedded yet (written moments ago)
    /// is found by its words, with no similarity.
    public func search(
        userID: String, text: String, embedding: [Float], filter: MemoryFilter, threshold: Double, limit: Int,
        on connection: PostgresConnection
    ) throws -> [MemoryHit] {
        let vector = PostgresVector(embedding)
        let conditions = Self.conditions(userID: userID, filter: filter)
        let candidates = max(50, limit)
        let results = try connection.pipeline([
            "BEGIN",
            "SET LOCAL hnsw.iterative_scan = relaxed_order",
            """
            WITH vector_hits AS (
                SELECT m.id FROM memories m WHERE \(ranking.usesVectors) AND \(conditions) AND m.embedding IS NOT NULL
                ORDER BY m.embedding <=> \(vector)::vector LIMIT \(candidates)
            ), query_terms AS (
                SELECT lexeme FROM unnest(to_tsvector('english', \(text))) WHERE \(ranking.usesText) LIMIT \(TextRanking.termsPerQuery)
            ), matched AS (
                SELECT m.id, m.tsv, length(m.tsv) AS length FROM memories m
                WHERE m.tsv @@ \(TextRanking.anyOf("query_terms")) AND \(conditions) LIMIT \(TextRanking.selectionBudget)
            ), totals AS (
                SELECT greatest((SELECT count(*) FROM memories m WHERE m.user_id = \(userID) AND m.deleted_at IS NULL), 1)::float8 AS memories,
                       greatest((SELECT avg(length) FROM matched), 1)::float8 AS average_length
            ), weighted AS (
                -- Every memory holding a query term is matched (up to the budget), so counting
                -- the terms among the matches gives their document frequencies.
                SELECT u.lexeme, \(unsafeRaw: TextRanking.idf(df: "count(*)", total: "totals.memories")) AS idf
                FROM matched, unnest(ts_filter(setweight(matched.tsv, 'A', (SELECT array_agg(lexeme) FROM query_terms)), '{a}')) u, totals
                GROUP BY u.lexeme, totals.memories
            ), text_hits AS (
                SELECT matched.id, \(TextRanking.normalised(TextRanking.score(vector: "matched.tsv", length: "matched.length", average: "totals.average_length", terms: "weighted"),
                    idfSum: """
                        (SELECT sum(coalesce(w.idf, \(unsafeRaw: TextRanking.idf(df: "0", total: "totals.memories"))))
                         FROM query_terms q LEFT JOIN weighted w ON w.lexeme = q.lexeme, totals)
                        """)) AS relevance
                FROM matched, totals ORDER BY relevance DESC LIMIT \(candidates)
            ), fused AS (
                SELECT id, max(relevance) AS relevance
                FROM (SELECT id, 0 AS relevance FROM vector_hits UNION ALL SELECT id, relevance FROM text_hits) h GROUP BY id
            )
            SELECT \(unsafeRaw: Memory.columns), hit.similarity,
                   (\(ranking.vectorWeight) * coalesce(hit.similarity, 0) + \(1 - ranking.vectorWeight) * f.relevance)::float8 AS score
            FROM fused f JOIN memories m ON m.id = f.id,
                 LATERAL (SELECT (1 - (m.embedding <=> \(vector)::vector))::float8 AS similarity) hit
            WHERE m.embedding IS NULL OR hit.similarity >= \(threshold)
            ORDER BY score DESC, hit.similarity DESC NULLS LAST, m.id LIMIT \(limit)
            """,
            "COMMIT",
        ])
        return try results[2].rows.map { row in
            MemoryHit(memory: try Memory(row: row), similarity: try row.decode("similarity", as: Double?.self), score: try row.decode("score"))
        }
    }

    /// The user's live, embedded memories of exactly `entities` most similar to `embedding`
    /// (for reconciliation: one end user's fact never refines or supersedes another's).
    public func nearest(
        userID: String, entities: MemoryEntities = .none, embedding: [Float], limit: Int, on connection: PostgresConnection
    ) throws -> [MemoryHit] {
        let vector = PostgresVector(embedding)
        return try connection.query("""
            SELECT \(unsafeRaw: Memory.columns), (1 - (m.embedding <=> \(vector)::vector))::float8 AS similarity
            FROM memories m WHERE m.user_id = \(userID) AND m.deleted_at IS NULL AND m.embedding IS NOT NULL
              AND m.entity_user_id IS NOT DISTINCT FROM \(entities.user) AND m.entity_agent_id IS NOT DISTINCT FROM \(entities.agent)
              AND m.entity_run_id IS NOT DISTINCT FROM \(entities.run) AND m.entity_app_id IS NOT DISTINCT FROM \(entities.app)
            ORDER BY m.embedding <=> \(vector)::vector LIMIT \(limit)
            """).rows.map { MemoryHit(memory: try Memory(row: $0), similarity: try $0.decode("similarity"), score: try $0.decode("similarity")) }
    }

    /// Stores a memory's embedding and, when inferred, its category and emotion — only if
    /// its text is still `text`, the one embedded (a change meanwhile has a job of its own).
    /// Call inside a transaction. Returns whether it stored.
    @discardableResult
    public func storeIndex(
        id: UUID, text: String, embedding: [Float], category: (String, Double)?, emotion: (String, Double)?, on connection: PostgresConnection
    ) throws -> Bool {
        guard let current = try connection.query("""
            SELECT \(unsafeRaw: Memory.columns) FROM memories m WHERE m.id = \(id) AND m.deleted_at IS NULL FOR UPDATE
            """).first.map(Memory.init(row:)), current.text == text else { return false }
        let enriched = (category != nil && current.category == nil) || (emotion != nil && current.emotion == nil)
        try connection.query("""
            UPDATE memories SET embedding = \(PostgresVector(embedding))::vector, enrichment = 'done',
                category = coalesce(category, \(category?.0)), category_confidence = coalesce(category_confidence, \(category?.1)),
                emotion = coalesce(emotion, \(emotion?.0)), emotion_confidence = coalesce(emotion_confidence, \(emotion?.1)),
                version = version + \(enriched ? 1 : 0), updated_at = now()
            WHERE id = \(id)
            """)
        if enriched {
            try recordHistory(of: current, change: "enriched", reason: "category and emotion inferred", on: connection)
        }
        return true
    }

    /// Links a memory to more messages or documents it was (re)stated in.
    public func appendSourceRefs(id: UUID, refs: PostgresJSON, on connection: PostgresConnection) throws {
        try connection.query("UPDATE memories SET source_refs = source_refs || \(refs) WHERE id = \(id)")
    }
}

extension MemoryStore {
    /// What indexing needs: the text, the embedding if it is already known, and whether a
    /// category and an emotion are set. Nil for a deleted or unknown memory.
    public func memoryToIndex(id: UUID, on connection: PostgresConnection) throws -> (text: String, embedding: [Float]?, hasCategory: Bool, hasEmotion: Bool)? {
        guard let row = try connection.query("""
            SELECT text, embedding::text AS embedding, category IS NOT NULL AS has_category, emotion IS NOT NULL AS has_emotion
            FROM memories WHERE id = \(id) AND deleted_at IS NULL
            """).first else { return nil }
        return (try row.decode("text"), try row.decode("embedding", as: PostgresVector?.self)?.values,
                try row.decode("has_category"), try row.decode("has_emotion"))
    }

    /// Stores an embedding computed elsewhere (extraction has it already), so the memory is
    /// searchable and comparable at once.
    public func storeEmbedding(id: UUID, embedding: [Float], on connection: PostgresConnection) throws {
        try connection.query("UPDATE memories SET embedding = \(PostgresVector(embedding))::vector WHERE id = \(id)")
    }
}
