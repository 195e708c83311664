import Foundation
import Hummingbird

/// How every response body is written: one encoder for all of them, keys sorted (stable
/// bodies, diffable in logs and tests), times in ISO 8601 UTC with milliseconds.
enum ResponseJSON {
    /// A new encoder with the response settings (`JSONEncoder` is a class: one per call).
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        return encoder
    }

    /// `2026-12-05T07:54:12.123Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// `value` as JSON text, for a view that is also stored (an answer's citations).
    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A response of `status` whose body is `value`.
    static func response(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: .init(bytes: data)))
    }
}

/// An optional field written as `null` when absent, as the specs show them, rather than
/// left out (what synthesized `Encodable` does with a plain optional).
@propertyWrapper
struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension UUID {
    /// The id as the APIs write it: lowercase.
    var apiString: String { uuidString.lowercased() }
}
