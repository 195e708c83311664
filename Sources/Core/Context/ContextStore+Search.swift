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

    /// Vector search (pgvector HNSW, cosine, with iterative index scans so the tenant and
    /// threshold filters cannot starve the result) and full-text search ranked by BM25 over
    /// statistics kept per owner (`TextRanking`, `sql/0019_context_text_statistics.sql`);
    /// each ranking's best candidates are scored by the weighted sum of cosine similarity and
    /// normalised BM25 (`SearchRanking.vectorWeight`), best first. The thresholds bound cosine similarity,
    /// so they keep embedded nodes in range; a node not embedded yet (added moments ago) is
    /// found by its words alone, with no similarity. One round trip: the session settings
    /// and the query go as one pipeline.
    public func search(_ query: ContextQuery, on connection: PostgresConnection) throws -> [ContextHit] {
        let vector = PostgresVector(query.embedding)
        let candidates = max(Self.candidatesPerRanking, query.limit)
        let owners = Self.textOwners(visibleTo: query.caller)
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
            WITH terms AS (
                SELECT q.lexeme, coalesce(sum(c.nodes), 0)::float8 AS df
                FROM unnest(to_tsvector('english', \(query.text))) q
                LEFT JOIN context_term_counts c ON c.lexeme = q.lexeme AND c.owner = ANY(\(owners)::text[])
                WHERE \(ranking.usesText)
                GROUP BY q.lexeme
            ), totals AS (
                SELECT greatest(coalesce(sum(nodes), 0), 1)::float8 AS nodes,
                       greatest(coalesce(sum(tokens), 0), 1)::float8 / greatest(coalesce(sum(nodes), 0), 1) AS average_tokens
                FROM context_text_totals WHERE owner = ANY(\(owners)::text[])
            ), weighted AS (
                SELECT t.lexeme, t.df, \(unsafeRaw: TextRanking.idf(df: "t.df", total: "totals.nodes")) AS idf,
                       sum(t.df) OVER (ORDER BY t.df, t.lexeme) - t.df AS rarer
                FROM terms t, totals WHERE t.df > 0
                ORDER BY t.df, t.lexeme LIMIT \(TextRanking.termsPerQuery)
            ), selecting AS (
                SELECT lexeme FROM weighted WHERE rarer = 0 OR rarer + df <= \(TextRanking.selectionBudget)
            ), vector_hits AS (
                -- A caller who sees few nodes gets an exact scan of them (found by the owner
                -- indexes; ordering by a computed column keeps the HNSW index out of it): a
                -- graph walk would have to skip everyone else's nodes. Only one branch runs:
                -- each has a one-time filter.
                (SELECT id FROM (
                    SELECT n.id, n.embedding <=> \(vector)::vector AS distance FROM context_nodes n
                    WHERE \(ranking.usesVectors) AND (SELECT nodes FROM totals) <= \(scanLimits.exactVectors) AND n.indexed AND \(filter)
                    OFFSET 0) scanned -- computes each distance once
                 WHERE distance BETWEEN \(1 - query.maximumSimilarity) AND \(1 - query.minimumSimilarity)
                 ORDER BY distance LIMIT \(candidates))
                UNION ALL
                (SELECT n.id FROM context_nodes n
                 WHERE \(ranking.usesVectors) AND (SELECT nodes FROM totals) > \(scanLimits.exactVectors)
                   AND n.indexed AND \(inRange) AND \(filter)
                 ORDER BY n.embedding <=> \(vector)::vector LIMIT \(candidates))
            ), text_hits AS (
                SELECT matched.id, \(TextRanking.normalised(TextRanking.score(vector: "matched.tsv", length: "matched.token_count", average: "totals.average_tokens", terms: "weighted"),
                    idfSum: "(SELECT sum(\(unsafeRaw: TextRanking.idf(df: "t.df", total: "totals.nodes"))) FROM terms t, totals)")) AS relevance
                FROM (
                    -- A caller who sees few nodes has them tested one by one (found by the owner
                    -- indexes; "IS TRUE" keeps the GIN index out of it), not looked up in a GIN
                    -- index whose postings hold every tenant's nodes. One branch runs.
                    (SELECT n.id, n.tsv, n.token_count FROM context_nodes n
                     WHERE (SELECT nodes FROM totals) <= \(scanLimits.text)
                       AND (n.tsv @@ \(TextRanking.anyOf("selecting"))) IS TRUE AND (n.embedding IS NULL OR \(inRange)) AND \(filter)
                     LIMIT \(TextRanking.selectionBudget))
                    UNION ALL
                    (SELECT n.id, n.tsv, n.token_count FROM context_nodes n
                     WHERE (SELECT nodes FROM totals) > \(scanLimits.text)
                       AND n.tsv @@ \(TextRanking.anyOf("selecting")) AND (n.embedding IS NULL OR \(inRange)) AND \(filter)
                     LIMIT \(TextRanking.selectionBudget))) matched, totals
                ORDER BY relevance DESC LIMIT \(candidates)
            ), fused AS (
                SELECT id, max(relevance) AS relevance
                FROM (SELECT id, 0 AS relevance FROM vector_hits UNION ALL SELECT id, relevance FROM text_hits) hits GROUP BY id
            )
            SELECT * FROM (
                SELECT n.id, n.document_id, n.text, d.source, d.metadata,
                       (1 - (n.embedding <=> \(vector)::vector))::float8 AS similarity, f.relevance
                FROM fused f JOIN context_nodes n ON n.id = f.id JOIN context_documents d ON d.id = n.document_id) hit,
                LATERAL (SELECT (\(ranking.vectorWeight) * coalesce(hit.similarity, 0) + \(1 - ranking.vectorWeight) * hit.relevance)::float8 AS score) s
            ORDER BY s.score DESC, hit.similarity DESC NULLS LAST, hit.id
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
