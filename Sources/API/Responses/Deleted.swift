/// `{"id", "deleted": true}`: what a `DELETE` of one resource answers in the envelope.
struct Deleted: Encodable, Sendable {
    let id: String
    let deleted = true
}
