import Foundation
import Postgres

/// Figures about a user's activity, read from the hourly usage counters and from the data
/// itself, so they include the last minutes (nothing waits for a rollup).
public struct AnalyticsStore: Sendable {
    public init() {}

    /// How many of each thing the user has now.
    public func totals(userID: String, on connection: PostgresConnection) throws -> [String: Int] {
        let row = try connection.query("""
            SELECT
              (SELECT count(*) FROM memories WHERE user_id = \(userID) AND deleted_at IS NULL AND superseded_by IS NULL)::bigint AS memories,
              (SELECT count(*) FROM context_documents WHERE user_id = \(userID))::bigint AS documents,
              (SELECT count(*) FROM chat_sessions WHERE user_id = \(userID))::bigint AS chat_sessions,
              (SELECT count(*) FROM chat_messages WHERE user_id = \(userID))::bigint AS chat_messages,
              (SELECT count(*) FROM qa_history WHERE user_id = \(userID))::bigint AS questions,
              (SELECT count(*) FROM webhooks WHERE user_id = \(userID))::bigint AS webhooks
            """).first!
        var totals = [String: Int]()
        for name in ["memories", "documents", "chat_sessions", "chat_messages", "questions", "webhooks"] {
            totals[name] = try row.decode(name)
        }
        return totals
    }

    /// Metered usage in `[from, to)` by counter (`requests.search`, `llm_tokens`, …).
    public func usage(userID: String, from: Date, to: Date, on connection: PostgresConnection) throws -> [String: Int] {
        var usage = [String: Int]()
        for row in try connection.query("""
            SELECT metric, sum(quantity)::bigint AS quantity FROM usage_hourly
            WHERE user_id = \(userID) AND hour >= date_trunc('hour', \(from)::timestamptz) AND hour < \(to)
            GROUP BY metric
            """).rows {
            usage[try row.decode("metric")] = try row.decode("quantity")
        }
        return usage
    }

    /// The user's live memories (not deleted, not superseded) counted by a column.
    public func memoryCounts(userID: String, by column: MemoryDimension, on connection: PostgresConnection) throws -> [String: Int] {
        var counts = [String: Int]()
        for row in try connection.query("""
            SELECT coalesce(\(unsafeRaw: column.rawValue), 'unknown') AS value, count(*)::bigint AS n FROM memories
            WHERE user_id = \(userID) AND deleted_at IS NULL AND superseded_by IS NULL GROUP BY 1
            """).rows {
            counts[try row.decode("value")] = try row.decode("n")
        }
        return counts
    }

    /// A column of `memories` to count by. The raw value goes into the SQL as the column name,
    /// so only these cases can be asked for.
    public enum MemoryDimension: String, Sendable {
        case category, emotion, source
    }

    /// One point per day of `[from, to)`: live memories created that day and the running
    /// total of live memories at its end. One pass over the user's memories, whatever the
    /// range: each is counted into its day once, and the totals are a running sum.
    public func memoryGrowth(userID: String, from: Date, to: Date, on connection: PostgresConnection) throws -> [(day: Date, created: Int, total: Int)] {
        try connection.query("""
            WITH days AS (
                SELECT generate_series(date_trunc('day', \(from)::timestamptz, 'UTC'), \(to)::timestamptz - interval '1 microsecond', interval '1 day') AS day
            ), per_day AS (
                SELECT date_trunc('day', created_at, 'UTC') AS day, count(*) AS created FROM memories
                WHERE user_id = \(userID) AND deleted_at IS NULL AND superseded_by IS NULL
                  AND created_at < (SELECT max(day) + interval '1 day' FROM days)
                GROUP BY 1
            )
            SELECT d.day, coalesce(p.created, 0)::bigint AS created,
                   ((SELECT coalesce(sum(created), 0) FROM per_day WHERE day < (SELECT min(day) FROM days))
                    + sum(coalesce(p.created, 0)) OVER (ORDER BY d.day))::bigint AS total
            FROM days d LEFT JOIN per_day p ON p.day = d.day ORDER BY d.day
            """).rows.map { (try $0.decode("day"), try $0.decode("created"), try $0.decode("total")) }
    }

    /// Time series over `[from, to)` in day or week buckets (weeks start on Monday, UTC):
    /// requests, memories created, documents added, chat messages, questions, AI operations,
    /// LLM tokens, embedded chunks. Empty buckets are zeros.
    public func trends(userID: String, bucket: TrendBucket, from: Date, to: Date, on connection: PostgresConnection) throws -> [TrendPoint] {
        let unit = bucket.rawValue
        return try connection.query("""
            WITH buckets AS (
                SELECT generate_series(date_trunc(\(unit), \(from)::timestamptz, 'UTC'), \(to)::timestamptz - interval '1 microsecond',
                                       (\("1 " + unit))::interval) AS start
            ), usage AS (
                SELECT date_trunc(\(unit), hour, 'UTC') AS start,
                       sum(quantity) FILTER (WHERE metric LIKE 'requests.%') AS requests,
                       sum(quantity) FILTER (WHERE metric = \(UsageMetric.aiOperations)) AS ai_operations,
                       sum(quantity) FILTER (WHERE metric = \(UsageMetric.llmTokens)) AS llm_tokens,
                       sum(quantity) FILTER (WHERE metric = \(UsageMetric.embeddedChunks)) AS embedded_chunks
                FROM usage_hourly WHERE user_id = \(userID) AND hour >= date_trunc('hour', \(from)::timestamptz) AND hour < \(to)
                GROUP BY 1
            ), made AS (
                SELECT date_trunc(\(unit), created_at, 'UTC') AS start, kind, count(*) AS n FROM (
                    SELECT created_at, 'memories' AS kind FROM memories WHERE user_id = \(userID) AND created_at >= \(from) AND created_at < \(to)
                    UNION ALL SELECT created_at, 'documents' FROM context_documents WHERE user_id = \(userID) AND created_at >= \(from) AND created_at < \(to)
                    UNION ALL SELECT created_at, 'messages' FROM chat_messages WHERE user_id = \(userID) AND role = 'user' AND created_at >= \(from) AND created_at < \(to)
                    UNION ALL SELECT created_at, 'questions' FROM qa_history WHERE user_id = \(userID) AND created_at >= \(from) AND created_at < \(to)
                ) things GROUP BY 1, 2
            )
            SELECT b.start,
                   coalesce(u.requests, 0)::bigint AS requests, coalesce(u.ai_operations, 0)::bigint AS ai_operations,
                   coalesce(u.llm_tokens, 0)::bigint AS llm_tokens, coalesce(u.embedded_chunks, 0)::bigint AS embedded_chunks,
                   coalesce((SELECT n FROM made WHERE made.start = b.start AND kind = 'memories'), 0)::bigint AS memories_created,
                   coalesce((SELECT n FROM made WHERE made.start = b.start AND kind = 'documents'), 0)::bigint AS documents_added,
                   coalesce((SELECT n FROM made WHERE made.start = b.start AND kind = 'messages'), 0)::bigint AS chat_messages,
                   coalesce((SELECT n FROM made WHERE made.start = b.start AND kind = 'questions'), 0)::bigint AS questions
            FROM buckets b LEFT JOIN usage u ON u.start = b.start ORDER BY b.start
            """).rows.map { row in
            var values = [String: Int]()
            for name in TrendPoint.fields { values[name] = try row.decode(name) }
            return TrendPoint(start: try row.decode("start"), values: values)
        }
    }
}

/// The width of a trends bucket; the raw value is the `date_trunc` unit (weeks start on Monday).
public enum TrendBucket: String, Sendable, CaseIterable {
    case day, week
}

/// One bucket of a time series.
public struct TrendPoint: Sendable, Equatable {
    public static let fields = [
        "requests", "memories_created", "documents_added", "chat_messages", "questions", "ai_operations", "llm_tokens", "embedded_chunks",
    ]
    public var start: Date
    public var values: [String: Int]
}
