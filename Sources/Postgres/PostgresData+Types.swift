import Foundation

extension String: PostgresCodable {
    public static var postgresOID: UInt32 { PostgresOID.text }
    public static var postgresArrayOID: UInt32 { PostgresOID.textArray }
    public var postgresText: String { self }
    public init?(postgresText text: String) { self = text }
}

extension Int: PostgresCodable {
    public static var postgresArrayElementsNeedQuoting: Bool { false }
    public static var postgresOID: UInt32 { PostgresOID.int8 }
    public static var postgresArrayOID: UInt32 { PostgresOID.int8Array }
    public var postgresText: String { String(self) }
    public init?(postgresText text: String) { self.init(text) }
}

extension Int64: PostgresCodable {
    public static var postgresArrayElementsNeedQuoting: Bool { false }
    public static var postgresOID: UInt32 { PostgresOID.int8 }
    public static var postgresArrayOID: UInt32 { PostgresOID.int8Array }
    public var postgresText: String { String(self) }
    public init?(postgresText text: String) { self.init(text) }
}

extension Int32: PostgresCodable {
    public static var postgresArrayElementsNeedQuoting: Bool { false }
    public static var postgresOID: UInt32 { PostgresOID.int4 }
    public static var postgresArrayOID: UInt32 { PostgresOID.int4Array }
    public var postgresText: String { String(self) }
    public init?(postgresText text: String) { self.init(text) }
}

extension Int16: PostgresCodable {
    public static var postgresArrayElementsNeedQuoting: Bool { false }
    public static var postgresOID: UInt32 { PostgresOID.int2 }
    public var postgresText: String { String(self) }
    public init?(postgresText text: String) { self.init(text) }
}

extension Bool: PostgresCodable {
    public static var postgresArrayElementsNeedQuoting: Bool { false }
    public static var postgresOID: UInt32 { PostgresOID.bool }
    public static var postgresArrayOID: UInt32 { PostgresOID.boolArray }
    public var postgresText: String { self ? "t" : "f" }
    public init?(postgresText text: String) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

extension Double: PostgresCodable {
    public static var postgresArrayElementsNeedQuoting: Bool { false }
    public static var postgresOID: UInt32 { PostgresOID.float8 }
    public static var postgresArrayOID: UInt32 { PostgresOID.float8Array }
    public var postgresText: String { "\(self)" }
    public init?(postgresText text: String) { self.init(text) }
}

extension Float: PostgresCodable {
    public static var postgresArrayElementsNeedQuoting: Bool { false }
    public static var postgresOID: UInt32 { PostgresOID.float4 }
    public var postgresText: String { "\(self)" }
    public init?(postgresText text: String) { self.init(text) }
}

extension UUID: PostgresCodable {
    public static var postgresArrayElementsNeedQuoting: Bool { false }
    public static var postgresOID: UInt32 { PostgresOID.uuid }
    public static var postgresArrayOID: UInt32 { PostgresOID.uuidArray }
    public var postgresText: String { uuidString.lowercased() }
    public init?(postgresText text: String) { self.init(uuidString: text) }
}

extension Date: PostgresCodable {
    public static var postgresOID: UInt32 { PostgresOID.timestamptz }
    public static var postgresArrayOID: UInt32 { PostgresOID.timestamptzArray }
    public var postgresText: String { PostgresTimestamp.format(self) }
    public init?(postgresText text: String) {
        guard let date = PostgresTimestamp.parse(text) else { return nil }
        self = date
    }
}

/// `bytea`, bound and read in PostgreSQL's hex format.
extension Data: PostgresCodable {
    public static var postgresOID: UInt32 { PostgresOID.bytea }
    public var postgresText: String {
        var text = "\\x"
        text.reserveCapacity(2 + count * 2)
        for byte in self {
            text += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }
        return text
    }
    public init?(postgresText text: String) {
        guard text.hasPrefix("\\x") else { return nil }
        let hex = Array(text.utf8.dropFirst(2))
        guard hex.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(hex.count / 2)
        var index = 0
        while index < hex.count {
            guard let high = Self.nibble(hex[index]), let low = Self.nibble(hex[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes)
    }
    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// A `jsonb` value: JSON text, bound and read as is.
public struct PostgresJSON: PostgresCodable, Equatable {
    public static var postgresOID: UInt32 { PostgresOID.jsonb }
    public static var postgresArrayOID: UInt32 { PostgresOID.jsonbArray }
    public var text: String
    public init(text: String) { self.text = text }
    /// Encodes `value` with `JSONEncoder` (sorted keys, so equal values bind equal text).
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }
    /// Decodes the JSON text into `type`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(text.utf8))
    }
    public var postgresText: String { text }
    public init?(postgresText text: String) { self.text = text }
}

/// A pgvector `vector` value.
public struct PostgresVector: PostgresCodable, Equatable {
    /// pgvector's type has no fixed OID: bind as unknown and let the statement decide.
    public static var postgresOID: UInt32 { 0 }
    public var values: [Float]
    public init(_ values: [Float]) { self.values = values }
    public var postgresText: String {
        "[" + values.map { "\($0)" }.joined(separator: ",") + "]"
    }
    public init?(postgresText text: String) {
        guard text.first == "[", text.last == "]" else { return nil }
        var values = [Float]()
        for part in text.dropFirst().dropLast().split(separator: ",") {
            guard let value = Float(part) else { return nil }
            values.append(value)
        }
        self.values = values
    }
}
