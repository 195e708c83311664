import Foundation

/// How analytics appear in responses.
enum AnalyticsViews {
    struct Range: Encodable, Sendable {
        let start: Date
        let end: Date
    }

    /// `GET /analytics/usage`.
    struct Usage: Encodable, Sendable {
        let range: Range
        let requests: [String: Int]
        let usage: [String: Int]
        let totals: [String: Int]
    }

    struct Growth: Encodable, Sendable {
        let date: String
        let created: Int
        let total: Int
    }

    /// `GET /analytics/memories`.
    struct Memories: Encodable, Sendable {
        let range: Range
        let total: Int
        let created_in_range: Int
        let by_category: [String: Int]
        let by_emotion: [String: Int]
        let by_source: [String: Int]
        let growth: [Growth]
    }

    /// One bucket of a trend: its `start` day and the asked metrics, side by side.
    struct TrendEntry: Encodable, Sendable {
        let start: String
        let values: [String: Int]

        func encode(to encoder: Encoder) throws {
            try values.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(start, forKey: .start)
        }

        enum Key: CodingKey {
            case start
        }
    }

    /// `GET /analytics/trends`.
    struct Trends: Encodable, Sendable {
        let bucket: String
        let range: Range
        let metrics: [String]
        let series: [TrendEntry]
    }
}
