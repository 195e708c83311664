import Foundation

/// How every response body is written: one encoder for all of them, keys sorted (stable
/// bodies, diffable in logs and tests), times in ISO 8601 UTC with milliseconds.
enum ResponseJSON {
    /// The encoder with the response settings, made once: it is configured here and never
    /// changed, and encoding with it keeps no state between calls.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        return encoder
    }()

    /// `2026-12-05T07:54:12.123Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// `value` as JSON text, for a view that is also stored (an answer's citations).
    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
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
