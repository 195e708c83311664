import Hummingbird

/// The Context0 API's success envelope: `{"success": true, "message": …, "data": …}`.
struct Envelope<Payload: Encodable & Sendable>: ResponseEncodable, Sendable {
    let success = true
    let message: String
    let data: Payload

    init(_ message: String, _ data: Payload) {
        self.message = message
        self.data = data
    }

    /// The envelope answered with `status` rather than 200.
    static func answer(_ status: HTTPResponse.Status, _ message: String, _ data: Payload) -> EditedResponse<Envelope> {
        EditedResponse(status: status, response: Envelope(message, data))
    }
}

/// Two views written as one JSON object: `base`'s fields, then `extra`'s (a memory with its
/// job id, a memory hit with its similarity and score).
struct Merged<Base: Encodable & Sendable, Extra: Encodable & Sendable>: Encodable, Sendable {
    let base: Base
    let extra: Extra

    init(_ base: Base, _ extra: Extra) {
        self.base = base
        self.extra = extra
    }

    func encode(to encoder: Encoder) throws {
        try base.encode(to: encoder)
        try extra.encode(to: encoder)
    }
}
