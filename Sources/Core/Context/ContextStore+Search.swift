import Foundation
import Postgres

/// A hybrid search over the caller's context.
public struct ContextQuery: Sendable {
    public var caller: Tenant
    public var text: String
    public var embedding: [Float]
    /// Keep hits whose cosine similarity lies in `minimumSimilarity...maximumSimilarity`.
    public var minimumSimilarity: Double
    public var maximumSimilarity: Double
    public var scope: ContextScope?
    /// Documents whose metadata contains this JSON object (`@>`); nil for all.
    public var metadata: PostgresJSON?
    public var limit: Int

    public init(caller: Tenant, text: String, embedding: [Float], minimumSimilarity: Double, maximumSimilarity: Double,
                scope: ContextScope?, metadata: PostgresJSON?, limit: Int) {
        self.caller = caller
        self.text = text
        self.embedding = embedding
        self.minimumSimilarity = minimumSimilarity
        self.maximumSimilarity = maximumSimilarity
        self.scope = scope
        self.metadata = metadata
        self.limit = limit
    }
}

extension ContextStore {
    /// Candidates taken from each ranking before fusion.
    static let candidatesPerRanking = 50
    /// Most full-text matches ranked per query.
    static let textMatchesRanked = 500

    /// Vector search (pgvector HNSW, cosine, with iterative index scans so the tenant and
    /// threshold filters cannot starve the result) and PostgreSQL full-text search, fused by
    /// reciprocal rank (k = 60); best first. The thresholds bound cosine similarity, so they
    /// keep embedded nodes in range; a node not embedded yet (added moments ago) is found by
    /// its words alone, with no similarity. One round trip: the session settings and the
    /// query go as one pipeline.
    public func search(_ query: ContextQuery, on connection: PostgresConnection) throws -> [ContextHit] {
        let vector = PostgresVector(query.embedding)
        let candidates = max(Self.candidatesPerRanking, query.limit)
        let inRange: PostgresQuery = """
            (n.embedding <=> \(vector)::vector) BETWEEN \(1 - query.maximumSimilarity) AND \(1 - query.minimumSimilarity)
            """
        let filter: PostgresQuery = """
            \(Self.visible("n", to: query.caller))
            AND EXISTS (SELECT 1 FROM context_documents d WHERE d.id = n.document_id
                        AND (\(query.scope?.rawValue)::text IS NULL OR d.scope = \(query.scope?.rawValue))
                        AND (\(query.metadata)::jsonb IS NULL OR d.metadata @> \(query.metadata)))
            """
        let search: PostgresQuery = """
            WITH vector_hits AS (
                SELECT id, row_number() OVER () AS rank FROM (
                    SELECT n.id FROM context_nodes n WHERE n.indexed AND \(inRange) AND \(filter)
                    ORDER BY n.embedding <=> \(vector)::vector LIMIT \(candidates)) ranked
            ), text_hits AS (
                -- Ranking every match of common words is what makes full-text slow: rank
                -- at most the first \(Self.textMatchesRanked) matches.
                SELECT id, row_number() OVER (ORDER BY relevance DESC) AS rank FROM (
                    SELECT matched.id, ts_rank(matched.tsv, q) AS relevance
                    FROM (SELECT n.id, n.tsv FROM context_nodes n, websearch_to_tsquery('english', \(query.text)) q
                          WHERE n.tsv @@ q AND (n.embedding IS NULL OR \(inRange)) AND \(filter)
                          LIMIT \(Self.textMatchesRanked)) matched,
                         websearch_to_tsquery('english', \(query.text)) q
                    ORDER BY relevance DESC LIMIT \(candidates)) ranked
            ), fused AS (
                SELECT id, sum(1.0 / (60 + rank)) AS score
                FROM (SELECT * FROM vector_hits UNION ALL SELECT * FROM text_hits) hits GROUP BY id
            )
            SELECT n.id, n.document_id, n.text, d.source, d.metadata,
                   (1 - (n.embedding <=> \(vector)::vector))::float8 AS similarity, f.score::float8 AS score
            FROM fused f JOIN context_nodes n ON n.id = f.id JOIN context_documents d ON d.id = n.document_id
            ORDER BY f.score DESC, similarity DESC NULLS LAST
            LIMIT \(query.limit)
            """
        let results = try connection.pipeline([
            "BEGIN",
            "SET LOCAL hnsw.iterative_scan = relaxed_order",
            "SET LOCAL hnsw.ef_search = 100",
            search,
            "COMMIT",
        ])
        return try results[3].rows.map { row in
            ContextHit(
                nodeID: try row.decode("id"), documentID: try row.decode("document_id"), text: try row.decode("text"),
                source: try row.decode("source"), similarity: try row.decode("similarity", as: Double?.self), score: try row.decode("score"),
                metadata: try row.decode("metadata", as: PostgresJSON.self).text)
        }
    }
}
