import Foundation
import Hummingbird
import NIOPosix

/// A request's JSON object, read field by field so every mistake gets a 400 that names
/// the field: malformed JSON, invalid UTF-8, a body that is not an object, wrong types,
/// values out of range. Bodies over the limit never get here (413).
struct JSONBody {
    let object: [String: JSONValue]

    static let defaultLimit = 10 * 1024 * 1024

    /// JSON5 is accepted too (unquoted keys, trailing commas): the spec's own curl example
    /// writes `size : "Size of file"` without quotes, and clients copy examples verbatim.
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        return decoder
    }

    /// Bodies this large are parsed on NIO's thread pool for blocking work: parsing up to
    /// 10 MiB takes milliseconds to seconds of CPU, which would hold one of Swift's
    /// cooperative threads (as many as cores) from every other request meanwhile.
    static let offloadBytes = 64 * 1024

    /// - Parameter allowingEmpty: an empty body reads as `{}` (for routes whose every field is optional).
    init(_ request: Request, limit: Int = JSONBody.defaultLimit, allowingEmpty: Bool = false) async throws {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let data = Data(buffer.readableBytesView)
        object = data.isEmpty && allowingEmpty ? [:] : data.count >= Self.offloadBytes
            ? try await NIOThreadPool.singleton.runIfActive { try Self.parseObject(data) }
            : try Self.parseObject(data)
    }

    private static func parseObject(_ data: Data) throws -> [String: JSONValue] {
        guard !data.isEmpty else { throw APIError.validation("the request body is empty: send a JSON object") }
        guard String(validating: data, as: UTF8.self) != nil else { throw APIError.validation("the request body is not valid UTF-8") }
        let parsed: JSONValue
        do {
            parsed = try decoder.decode(JSONValue.self, from: data)
        } catch {
            throw APIError.validation("the request body is not valid JSON")
        }
        guard case .object(let object) = parsed else { throw APIError.validation("the request body must be a JSON object") }
        // PostgreSQL stores no NUL character in text or jsonb: refuse it here, not as a 500.
        guard !parsed.containsNUL else { throw APIError.validation("the request body contains a NUL character (\\u0000), which cannot be stored") }
        // JSON5 reads Infinity and NaN; JSON cannot write them, so an object holding one
        // would be stored as null. The field is named so the caller can find it.
        if let field = object.keys.sorted().first(where: { object[$0]?.containsNonFiniteNumber == true }) {
            throw APIError.validation("\(field) contains Infinity or NaN, which JSON cannot store", field: field)
        }
        return object
    }

    init(object: [String: JSONValue]) {
        self.object = object
    }

    /// The raw value of `field`, when present.
    func value(_ field: String) -> JSONValue? {
        object[field]
    }

    func has(_ field: String) -> Bool {
        guard let value = object[field] else { return false }
        return value != .null
    }

    func string(_ field: String, maxLength: Int = 10_000) throws -> String? {
        guard has(field) else { return nil }
        guard case .string(let value) = object[field] else { throw APIError.validation("\(field) must be a string", field: field) }
        // Counted in code points, as PostgreSQL's char_length counts them.
        guard value.unicodeScalars.count <= maxLength else { throw APIError.validation("\(field) is longer than \(maxLength) characters", field: field) }
        return value
    }

    /// Booleans, also written as the strings "true"/"false" (the spec's own examples do).
    func bool(_ field: String) throws -> Bool? {
        guard has(field) else { return nil }
        switch object[field] {
        case .bool(let value): return value
        case .string(let text) where text.lowercased() == "true": return true
        case .string(let text) where text.lowercased() == "false": return false
        default: throw APIError.validation("\(field) must be a boolean", field: field)
        }
    }

    func number(_ field: String) throws -> Double? {
        guard has(field) else { return nil }
        guard case .number(let value) = object[field], value.isFinite else {
            throw APIError.validation("\(field) must be a number", field: field)
        }
        return value
    }

    func integer(_ field: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = try number(field) else { return nil }
        guard value.rounded() == value, let integer = Int(exactly: value), range.contains(integer) else {
            throw APIError.validation("\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound)", field: field)
        }
        return integer
    }

    func object(_ field: String) throws -> [String: JSONValue]? {
        guard has(field) else { return nil }
        guard case .object(let value) = object[field] else { throw APIError.validation("\(field) must be a JSON object", field: field) }
        return value
    }

    /// A JSON object the caller stores or filters by (`metadata`), as the JSON text to
    /// store, refused unless it is within `limits`.
    func metadata(_ field: String, limits: MetadataLimits) throws -> String? {
        guard let value = try object(field) else { return nil }
        return try limits.text(of: value, field: field)
    }

    func array(_ field: String) throws -> [JSONValue]? {
        guard has(field) else { return nil }
        guard case .array(let value) = object[field] else { throw APIError.validation("\(field) must be an array", field: field) }
        return value
    }

    /// One of `T`'s raw values.
    func choice<T: RawRepresentable & CaseIterable>(_ field: String, _ type: T.Type) throws -> T? where T.RawValue == String {
        guard let text = try string(field) else { return nil }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw APIError.validation("\(field) must be one of \(allowed)", field: field)
        }
        return value
    }
}
