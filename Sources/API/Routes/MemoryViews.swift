import Core
import Foundation

/// How memories appear in responses.
enum MemoryViews {
    struct Memory: Encodable, Sendable {
        let id: String
        let text: String
        @Nullable var category: String?
        @Nullable var category_confidence: Double?
        @Nullable var emotion: String?
        @Nullable var emotion_confidence: Double?
        let tags: [String]
        let metadata: JSONValue
        let source: String
        let source_refs: JSONValue
        let enrichment: String
        let version: Int
        let valid_from: Date
        @Nullable var valid_until: Date?
        let created_at: Date
        let updated_at: Date

        init(_ memory: Core.Memory) {
            id = memory.id.apiString
            text = memory.text
            category = memory.category
            category_confidence = memory.categoryConfidence.map(MemoryViews.rounded)
            emotion = memory.emotion
            emotion_confidence = memory.emotionConfidence.map(MemoryViews.rounded)
            tags = memory.tags
            metadata = JSONValue(storedText: memory.metadata)
            source = memory.source.rawValue
            source_refs = JSONValue(storedText: memory.sourceRefs)
            enrichment = memory.enrichment
            version = memory.version
            valid_from = memory.validFrom
            valid_until = memory.validUntil
            created_at = memory.createdAt
            updated_at = memory.updatedAt
        }
    }

    /// Confidences are stored as `real`; three decimals is all they mean.
    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    struct HistoryEntry: Encodable, Sendable {
        let version: Int
        let change: String
        @Nullable var reason: String?
        let text: String
        @Nullable var category: String?
        @Nullable var emotion: String?
        let tags: [String]
        @Nullable var valid_until: Date?
        let changed_at: Date

        init(_ entry: MemoryHistoryEntry) {
            version = entry.version
            change = entry.change
            reason = entry.reason
            text = entry.text
            category = entry.category
            emotion = entry.emotion
            tags = entry.tags
            valid_until = entry.validUntil
            changed_at = entry.changedAt
        }
    }

    /// A memory with its job's id (create: always; update: null when nothing is to redo).
    struct JobID: Encodable, Sendable {
        @Nullable var job_id: Int?
    }

    /// A memory with its history (`GET /memories/{id}`).
    struct History: Encodable, Sendable {
        let history: [HistoryEntry]
    }

    /// A search hit's ranking.
    struct Ranking: Encodable, Sendable {
        /// Null for a memory found by its words before its embedding landed.
        @Nullable var similarity: Double?
        let score: Double
    }

    typealias Hit = Merged<Memory, Ranking>

    static func hit(_ hit: MemoryHit) -> Hit {
        Merged(Memory(hit.memory), Ranking(similarity: hit.similarity, score: hit.score))
    }

    /// `{"results", "query"}`.
    struct SearchResults: Encodable, Sendable {
        let results: [Hit]
        let query: String
    }

    /// One operation's answer in a batch: `op`, `id` and `job_id` when it ran, `error`
    /// when it did not.
    struct BatchResult: Encodable, Sendable {
        let index: Int
        var op: String?
        let success: Bool
        var id: String?
        var job_id: Int?
        var error: ErrorBodies.Detail?
    }

    /// `POST /memories/batch`.
    struct Batch: Encodable, Sendable {
        let results: [BatchResult]
        let succeeded: Int
        let failed: Int

        init(results: [BatchResult]) {
            self.results = results
            failed = results.filter { !$0.success }.count
            succeeded = results.count - failed
        }
    }
}
