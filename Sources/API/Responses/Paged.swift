import Hummingbird

/// `{"items", "total", "limit", "skip"}`: the Context0 spec's pagination shape, for every
/// list it answers.
struct Paged<Item: Encodable & Sendable>: Encodable, Sendable {
    let items: [Item]
    let total: Int
    let limit: Int
    let skip: Int
}

extension Paged where Item == Never {
    /// The page a list request asks for: `limit` (0–100, default 20; 0 answers only the
    /// total) and `skip`.
    static func window(_ request: Request) throws -> (limit: Int, skip: Int) {
        let query = QueryParameters(request)
        return (try query.integer("limit", 0...MemoryRequests.maxLimit) ?? 20, try query.integer("skip", 0...10_000_000) ?? 0)
    }
}
