/// `{"items", "total", "limit", "skip"}`: the Context0 spec's pagination shape, for every
/// list it answers.
struct Paged<Item: Encodable & Sendable>: Encodable, Sendable {
    let items: [Item]
    let total: Int
    let limit: Int
    let skip: Int
}
