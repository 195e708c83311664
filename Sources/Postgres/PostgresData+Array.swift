/// One-dimensional arrays, in PostgreSQL's array text format (`{"a","b",NULL}`).
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public static var postgresOID: UInt32 { Element.postgresArrayOID }
    public var postgresText: String {
        guard Element.postgresArrayElementsNeedQuoting else {
            return "{" + map(\.postgresText).joined(separator: ",") + "}"
        }
        var text = "{"
        for (index, element) in enumerated() {
            if index > 0 { text += "," }
            text.append(PostgresArrayText.quoted(element.postgresText))
        }
        return text + "}"
    }
}

/// Array literal pieces shared by the array encoders.
enum PostgresArrayText {
    /// `text` as a double-quoted array element; quotes and backslashes are escaped (both are
    /// ASCII, so scanning scalars finds them without grapheme breaking).
    static func quoted(_ text: String) -> String {
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { result.unicodeScalars.append("\\") }
            result.unicodeScalars.append(scalar)
        }
        result.unicodeScalars.append("\"")
        return result
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    public init?(postgresText text: String) {
        guard let items = PostgresArrayParser.parse(text) else { return nil }
        var result = [Element]()
        result.reserveCapacity(items.count)
        for item in items {
            guard let item, let value = Element(postgresText: item) else { return nil }
            result.append(value)
        }
        self = result
    }
}

/// Splits a one-dimensional array literal into its element texts (nil for NULL).
///
/// Read by Unicode scalar, never by character: the delimiters are ASCII, and an element
/// that starts with a combining mark (which PostgreSQL writes unquoted) would otherwise
/// fuse with the `{`, `,` or `"` before it into one character and hide it.
enum PostgresArrayParser {
    static func parse(_ text: String) -> [String?]? {
        var scalars = text.unicodeScalars.makeIterator()
        guard scalars.next() == "{" else { return nil }
        var items = [String?]()
        var current = String.UnicodeScalarView()
        var quoted = false
        var inQuotes = false
        var sawAny = false
        while let scalar = scalars.next() {
            if inQuotes {
                if scalar == "\\" {
                    guard let escaped = scalars.next() else { return nil }
                    current.append(escaped)
                } else if scalar == "\"" {
                    inQuotes = false
                } else {
                    current.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                inQuotes = true
                quoted = true
                sawAny = true
            case ",", "}":
                if sawAny || scalar == "," {
                    let item = String(current)
                    items.append(!quoted && item == "NULL" ? nil : item)
                }
                if scalar == "}" { return items }
                current = String.UnicodeScalarView()
                quoted = false
                sawAny = false
            default:
                current.append(scalar)
                sawAny = true
            }
        }
        return nil
    }
}

/// A one-dimensional array whose elements may be NULL.
public struct PostgresNullableArray<Element: PostgresEncodable>: PostgresEncodable {
    public var values: [Element?]
    public init(_ values: [Element?] = []) { self.values = values }
    public static var postgresOID: UInt32 { Element.postgresArrayOID }
    public var postgresText: String {
        "{" + values.map { value in
            guard let value else { return "NULL" }
            return Element.postgresArrayElementsNeedQuoting ? PostgresArrayText.quoted(value.postgresText) : value.postgresText
        }.joined(separator: ",") + "}"
    }
}
