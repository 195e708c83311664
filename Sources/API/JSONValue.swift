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

    /// The value as Foundation objects, for `JSONSerialization`.
    var foundationObject: Any {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .number(let value): value
        case .string(let value): value
        case .array(let values): values.map(\.foundationObject)
        case .object(let values): values.mapValues(\.foundationObject)
        }
    }

    /// Compact JSON text with sorted keys.
    var jsonText: String {
        let data = (try? JSONSerialization.data(withJSONObject: foundationObject, options: [.sortedKeys, .fragmentsAllowed])) ?? Data("null".utf8)
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
