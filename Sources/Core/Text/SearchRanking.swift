import Postgres

/// Which rankings a search fuses and how: both (the default), or one alone, for measuring
/// what each arm contributes (`SEARCH_RANKING`, `SEARCH_VECTOR_WEIGHT`, `make eval-search`).
public struct SearchRanking: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case hybrid, text, vector
    }

    public var mode: Mode
    /// In `hybrid`, the weight of a hit's cosine similarity in its score; the rest goes to
    /// its normalised BM25 (`TextRanking.normalised`). A weighted sum rather than
    /// reciprocal-rank fusion: with OR semantics most candidates match some word, and rank
    /// fusion lets one shared common word outweigh the whole gap between the best and the
    /// tenth dense hit.
    public var hybridVectorWeight: Double

    public init(mode: Mode, hybridVectorWeight: Double = TextRanking.defaultHybridVectorWeight) {
        self.mode = mode
        self.hybridVectorWeight = hybridVectorWeight
    }

    public static let hybrid = SearchRanking(mode: .hybrid)
    public static let text = SearchRanking(mode: .text)
    public static let vector = SearchRanking(mode: .vector)

    var usesText: Bool { mode != .vector }
    var usesVectors: Bool { mode != .text }

    /// The weight of cosine similarity in a hit's score.
    var vectorWeight: Double {
        switch mode {
        case .hybrid: hybridVectorWeight
        case .text: 0
        case .vector: 1
        }
    }
}

/// The full-text arm's BM25 (Robertson–Spärck Jones IDF, term-frequency saturation `k1`,
/// length normalisation `b`) over PostgreSQL `tsvector`s, with OR semantics: a hit needs any
/// of the query's terms, not all of them.
///
/// Work is bounded whatever the words: the query's rarest terms select the candidates, in
/// order of how many documents contain them, until those counts add up to `selectionBudget`
/// (the rarest always selects); common terms only add to the candidates' scores. Each
/// candidate's term frequencies come from its `tsvector` filtered to the query's lexemes in C
/// (`setweight` + `ts_filter`), not from unnesting the whole vector.
public enum TextRanking {
    static let k1 = 1.2
    static let b = 0.75
    static let selectionBudget = 2000
    /// Most distinct query terms scored; the rarest are kept.
    static let termsPerQuery = 32
    /// `SearchRanking.hybrid`'s weight of cosine similarity (measured: docs/benchmarks-search.md).
    public static let defaultHybridVectorWeight = 0.5

    /// A BM25 `score` scaled to 0..<1 by the most the query's terms could give,
    /// `(k1 + 1) · Σ idf` over every term of the query (`idfSum`, a scalar subquery), those
    /// no document holds included: the share of the query a document covers, comparable
    /// across queries and with cosine similarity. (Leaving unknown terms out would let the
    /// one known word of a query cover all of it.)
    static func normalised(_ score: PostgresQuery, idfSum: PostgresQuery) -> PostgresQuery {
        "(\(score) / greatest(\(idfSum) * \(unsafeRaw: String(k1 + 1)), 1e-9))"
    }

    /// The inverse document frequency of a term held by `df` of `total` documents.
    static func idf(df: String, total: String) -> String {
        "ln(1 + (\(total) - \(df) + 0.5) / (\(df) + 0.5))"
    }

    /// `tsquery` text matching any of the lexemes of `terms` (column `lexeme`), quoted so any
    /// lexeme parses as itself.
    static func anyOf(_ terms: String) -> PostgresQuery {
        """
        (SELECT string_agg('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''', ' | ')::tsquery FROM \(unsafeRaw: terms))
        """
    }

    /// The BM25 score of the `tsvector` `vector` of a document of `length` tokens, for the
    /// terms of CTE `terms` (columns `lexeme`, `idf`) and the average length `average`.
    static func score(vector: String, length: String, average: String, terms: String) -> PostgresQuery {
        """
        (SELECT coalesce(sum(w.idf * (cardinality(u.positions) * (\(unsafeRaw: String(k1)) + 1))
                              / (cardinality(u.positions) + \(unsafeRaw: String(k1)) * (1 - \(unsafeRaw: String(b)) + \(unsafeRaw: String(b)) * \(unsafeRaw: length) / \(unsafeRaw: average)))), 0)
         FROM unnest(ts_filter(setweight(\(unsafeRaw: vector), 'A', (SELECT array_agg(lexeme) FROM \(unsafeRaw: terms))), '{a}')) u
         JOIN \(unsafeRaw: terms) w ON w.lexeme = u.lexeme)
        """
    }
}
