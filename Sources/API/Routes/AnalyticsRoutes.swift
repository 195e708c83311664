import Core
import Foundation
import Hummingbird
import Postgres

/// The Analytics API: `/api/v1/analytics/…`, in the Context0 envelope (scope
/// `analytics:read`). Ranges default to the last 30 days and span at most 366.
struct AnalyticsRoutes: Sendable {
    let pool: PostgresPool
    let store = AnalyticsStore()
    static let maxRangeDays = 366.0

    func add(to routes: ProtectedRoutes) {
        routes.get("usage", .needs(.analyticsRead), use: usage)
        routes.get("memories", .needs(.analyticsRead), use: memories)
        routes.get("trends", .needs(.analyticsRead), use: trends)
    }

    @Sendable func usage(_ request: Request, context: Context0RequestContext) async throws -> Envelope<AnalyticsViews.Usage> {
        let caller = try context.caller()
        let (from, to) = try Self.range(request)
        let (usage, totals) = try await pool.withConnection { [store] connection in
            (try store.usage(userID: caller.userID, from: from, to: to, on: connection), try store.totals(userID: caller.userID, on: connection))
        }
        var requests = RateLimitClass.requests(in: usage)
        requests["total"] = requests.values.reduce(0, +)
        let metered = [UsageMetric.aiOperations, .llmTokens, .embeddedChunks, .storedBytes].map(\.name)
        return Envelope("usage statistics", AnalyticsViews.Usage(
            range: .init(start: from, end: to), requests: requests,
            usage: Dictionary(uniqueKeysWithValues: metered.map { ($0, usage[$0] ?? 0) }), totals: totals))
    }

    @Sendable func memories(_ request: Request, context: Context0RequestContext) async throws -> Envelope<AnalyticsViews.Memories> {
        let caller = try context.caller()
        let (from, to) = try Self.range(request)
        let (categories, emotions, sources, growth) = try await pool.withConnection { [store] connection in
            (try store.memoryCounts(userID: caller.userID, by: .category, on: connection),
             try store.memoryCounts(userID: caller.userID, by: .emotion, on: connection),
             try store.memoryCounts(userID: caller.userID, by: .source, on: connection),
             try store.memoryGrowth(userID: caller.userID, from: from, to: to, on: connection))
        }
        return Envelope("memory analytics", AnalyticsViews.Memories(
            range: .init(start: from, end: to), total: sources.values.reduce(0, +), created_in_range: growth.reduce(0) { $0 + $1.created },
            by_category: categories, by_emotion: emotions, by_source: sources,
            growth: growth.map { AnalyticsViews.Growth(date: Self.day($0.day), created: $0.created, total: $0.total) }))
    }

    @Sendable func trends(_ request: Request, context: Context0RequestContext) async throws -> Envelope<AnalyticsViews.Trends> {
        let caller = try context.caller()
        let (from, to) = try Self.range(request)
        let query = QueryParameters(request)
        let bucket = try query.choice("bucket", TrendBucket.self) ?? query.choice("period", TrendBucket.self) ?? .day
        var fields = TrendPoint.fields
        if let names = try query.value("metrics") {
            fields = names.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t")) }
            guard fields.allSatisfy(TrendPoint.fields.contains) else {
                throw APIError.validation("metrics must name some of " + TrendPoint.fields.joined(separator: ", "), field: "metrics")
            }
        }
        let points = try await pool.withConnection { [store] in try store.trends(userID: caller.userID, bucket: bucket, from: from, to: to, on: $0) }
        let series = points.map { point in
            AnalyticsViews.TrendEntry(start: Self.day(point.start), values: Dictionary(uniqueKeysWithValues: fields.map { ($0, point.values[$0] ?? 0) }))
        }
        return Envelope("\(points.count) \(bucket.rawValue)s", AnalyticsViews.Trends(
            bucket: bucket.rawValue, range: .init(start: from, end: to), metrics: fields, series: series))
    }

    /// `start_date`/`end_date` (an end date includes its day); the last 30 days by default.
    static func range(_ request: Request) throws -> (from: Date, to: Date) {
        let query = QueryParameters(request)
        let now = Date()
        let to = try query.date("end_date", endOfDay: true) ?? now
        let from = try query.date("start_date", endOfDay: false) ?? max(QueryParameters.earliest, to.addingTimeInterval(-30 * 86_400))
        guard from < to else { throw APIError.validation("start_date must be before end_date", field: "start_date") }
        guard to.timeIntervalSince(from) <= maxRangeDays * 86_400 else {
            throw APIError.validation("the range may span at most \(Int(maxRangeDays)) days", field: "start_date")
        }
        return (from, to)
    }

    static func day(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day())
    }
}
