import Foundation

/// Any JSON value, decoded strictly: `true` is never a number and `1` never a boolean.
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Compact JSON text with sorted keys (what the stores keep).
    var jsonText: String {
        let data = (try? ResponseJSON.encoder.encode(self)) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension JSONValue {
    /// Whether a NUL character occurs in any string or key.
    var containsNUL: Bool {
        switch self {
        case .null, .bool, .number: false
        case .string(let value): value.unicodeScalars.contains("\u{0}")
        case .array(let values): values.contains { $0.containsNUL }
        case .object(let members): members.contains { $0.key.unicodeScalars.contains("\u{0}") || $0.value.containsNUL }
        }
    }

    /// Whether Infinity or NaN (which JSON5 reads and JSON cannot write) occurs anywhere.
    var containsNonFiniteNumber: Bool {
        switch self {
        case .null, .bool, .string: false
        case .number(let value): !value.isFinite
        case .array(let values): values.contains { $0.containsNonFiniteNumber }
        case .object(let members): members.values.contains { $0.containsNonFiniteNumber }
        }
    }
}

extension JSONValue: Encodable {
    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value) where value.rounded() == value && abs(value) < 9_007_199_254_740_992:
            // Whole numbers are written as integers, as they were sent.
            try container.encode(Int64(value))
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let members): try container.encode(members)
        }
    }

    /// The text of a string value.
    var stringValue: String? {
        if case .string(let text) = self { text } else { nil }
    }

    /// The value, or `{}` for a null (stored JSON that did not parse).
    var orEmptyObject: JSONValue { self == .null ? .object([:]) : self }

    /// JSON text the stores keep (metadata, source references) as a value; `null` if it
    /// does not parse.
    init(storedText text: String) {
        self = (try? JSONBody.decoder.decode(JSONValue.self, from: Data(text.utf8))) ?? .null
    }
}
