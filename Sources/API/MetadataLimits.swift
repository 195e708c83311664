import Foundation
import Settings

/// How large the caller's own JSON (`metadata` of documents, memories and searches) may be.
///
/// Document metadata is copied into every document row of an add and returned with every
/// node by `/context/view` (500 a page) and with every search hit, so without a bound one
/// request could make each later read pull gigabytes through the API process. Pinecone caps
/// metadata at 40 KB per record; 64 KiB leaves room for what document loaders attach
/// (titles, URLs, page numbers, authors) while a full view page stays near 32 MB.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `METADATA_MAX_BYTES` | serialised size: compact JSON, UTF-8 | 65536 |
/// | `METADATA_MAX_DEPTH` | nesting of objects and arrays, the metadata object itself being 1 | 8 |
/// | `METADATA_MAX_KEYS` | keys of every object in it, counted together | 256 |
public struct MetadataLimits: Sendable, Equatable {
    /// The most bytes the metadata may take as compact JSON text.
    public var maxBytes: Int
    /// The deepest nesting of objects and arrays: loaders nest two to four levels
    /// (`{"source": {"page": {"bbox": […]}}}`); deeper structures are almost always a
    /// serialised object graph, and every reader of the metadata recurses through it.
    public var maxDepth: Int
    /// The most keys, over all nested objects: metadata is filtered with jsonb containment
    /// and rebuilt as a dictionary for every node a page shows, both per key.
    public var maxKeys: Int

    public static let defaults = MetadataLimits(maxBytes: 64 * 1024, maxDepth: 8, maxKeys: 256)

    public init(maxBytes: Int, maxDepth: Int, maxKeys: Int) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxKeys = maxKeys
    }

    /// The variables in the table above; unset means the default. Sizes beyond the request
    /// body's own limit, or depths beyond the JSON parser's, would be no limit at all.
    public init(environment: [String: String]) throws {
        let defaults = Self.defaults
        maxBytes = try ConfigurationError.integer("METADATA_MAX_BYTES", in: environment, range: 2...JSONBody.defaultLimit) ?? defaults.maxBytes
        maxDepth = try ConfigurationError.integer("METADATA_MAX_DEPTH", in: environment, range: 1...64) ?? defaults.maxDepth
        maxKeys = try ConfigurationError.integer("METADATA_MAX_KEYS", in: environment, range: 0...100_000) ?? defaults.maxKeys
    }

    /// `object` as the JSON text to store, once it is within the limits; a validation error
    /// naming `field` otherwise. The structure is checked first, stopping as soon as a limit
    /// is passed, so an oversized object is refused without being serialised.
    func text(of object: [String: JSONValue], field: String) throws -> String {
        var census = MetadataCensus(limits: self, field: field)
        try census.visit(.object(object), depth: 1)
        let text = JSONValue.object(object).jsonText
        guard text.utf8.count <= maxBytes else { throw census.tooLarge() }
        return text
    }
}

/// One walk over a metadata value: its keys, its depth and a lower bound of its size.
private struct MetadataCensus {
    let limits: MetadataLimits
    let field: String
    var keys = 0
    /// Never more than the serialised size: strings without escapes, numbers as one digit.
    var minimumBytes = 0

    init(limits: MetadataLimits, field: String) {
        self.limits = limits
        self.field = field
    }

    mutating func visit(_ value: JSONValue, depth: Int) throws {
        switch value {
        case .null: minimumBytes += 4
        case .bool(let flag): minimumBytes += flag ? 4 : 5
        case .number(let number):
            // JSON has no Infinity or NaN (JSON5 has): stored, the whole object would become null.
            guard number.isFinite else { throw APIError.validation("\(field) contains Infinity or NaN, which JSON cannot store", field: field) }
            minimumBytes += 1
        case .string(let text): minimumBytes += text.utf8.count + 2
        case .array(let values):
            try enter(depth, separators: values.count)
            for element in values { try visit(element, depth: depth + 1) }
        case .object(let members):
            try enter(depth, separators: members.count)
            keys += members.count
            guard keys <= limits.maxKeys else {
                throw APIError.validation("\(field) has more than \(limits.maxKeys) keys (counting those of nested objects)", field: field)
            }
            for (key, member) in members {
                minimumBytes += key.utf8.count + 3
                try visit(member, depth: depth + 1)
            }
        }
        guard minimumBytes <= limits.maxBytes else { throw tooLarge() }
    }

    /// Counts a container's brackets and commas, refusing it beyond the deepest level.
    private mutating func enter(_ depth: Int, separators count: Int) throws {
        guard depth <= limits.maxDepth else {
            throw APIError.validation("\(field) nests objects and arrays deeper than \(limits.maxDepth) levels", field: field)
        }
        minimumBytes += 2 + max(0, count - 1)
        guard minimumBytes <= limits.maxBytes else { throw tooLarge() }
    }

    func tooLarge() -> APIError {
        APIError.validation("\(field) is larger than \(limits.maxBytes) bytes as JSON", field: field)
    }
}
