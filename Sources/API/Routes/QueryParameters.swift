import Foundation
import Hummingbird

/// A request's query string, read with validation: every route reads its parameters here.
///
/// A free-text filter given empty (`?category=`) is read as left out. A parameter with a type
/// (a number, a date, one of a set of words) given empty is refused like any other value that
/// is not of its type: read as left out, `?start_date=` would widen a range and `?limit=`
/// would quietly mean the default.
///
/// Values are read as HTML forms and every HTTP client library write them: `+` is a space,
/// `%2B` a plus sign. A parameter given twice is read at its first occurrence.
struct QueryParameters {
    /// The first and last moments of the years 1 and 9999 (proleptic Gregorian, as
    /// PostgreSQL counts).
    static let earliest = Date(timeIntervalSince1970: -62_135_596_800)  // 0001-01-01
    static let latest = Date(timeIntervalSince1970: 253_402_300_799)  // 9999-12-31T23:59:59
    /// The default longest value, in code points.
    static let maxLength = 256
    /// Each name's first value, still percent-encoded.
    private let encoded: [String: Substring]

    init(_ request: Request) {
        var encoded: [String: Substring] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let name = pair.prefix { $0 != "=" }
            let value = pair.dropFirst(name.count + 1)
            let key = Self.decoded(name) ?? String(name)
            if encoded[key] == nil { encoded[key] = value }
        }
        self.encoded = encoded
    }

    private static func decoded(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// A free-text value; nil when left out or empty.
    func string(_ name: String) throws -> String? {
        guard let value = try value(name), !value.isEmpty else { return nil }
        return value
    }

    /// The value as sent, empty included; nil only when left out.
    func value(_ name: String, maxLength: Int = QueryParameters.maxLength) throws -> String? {
        guard let text = encoded[name] else { return nil }
        guard let value = Self.decoded(text) else { throw APIError.validation("\(name) is not percent-encoded UTF-8", field: name) }
        // PostgreSQL stores no NUL character: refused here, not as a 500 from the query.
        guard !value.unicodeScalars.contains("\0") else { throw APIError.validation("\(name) contains a NUL character", field: name) }
        guard value.unicodeScalars.count <= maxLength else { throw APIError.validation("\(name) is longer than \(maxLength) characters", field: name) }
        return value
    }

    func integer(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
        guard let text = try value(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.validation("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)", field: name)
        }
        return value
    }

    /// One of `T`'s raw values (compared lower-cased with `ignoringCase`).
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type, ignoringCase: Bool = false) throws -> T? where T.RawValue == String {
        guard let text = try value(name) else { return nil }
        guard let choice = T(rawValue: ignoringCase ? text.lowercased() : text) else {
            throw APIError.validation("\(name) must be one of " + T.allCases.map(\.rawValue).joined(separator: ", "), field: name)
        }
        return choice
    }

    /// `2025-01-31` (a whole day, in UTC) or a full ISO 8601 time.
    func date(_ name: String, endOfDay: Bool) throws -> Date? {
        guard let text = try value(name) else { return nil }
        let day = Self.day(text)
        let time = day == nil ? try? Date(text, strategy: .iso8601) : nil
        guard let parsed = day ?? time else { throw APIError.validation("\(name) must be a date like 2025-01-31 or an ISO 8601 time", field: name) }
        // Years PostgreSQL and ISO 8601 both write plainly.
        guard (Self.earliest...Self.latest).contains(parsed) else { throw APIError.validation("\(name) must lie between the years 1 and 9999", field: name) }
        return day != nil && endOfDay ? parsed.addingTimeInterval(86_400) : parsed
    }

    /// `YYYY-MM-DD` as the start of that day in UTC. Counted in the proleptic Gregorian
    /// calendar, as PostgreSQL counts: Foundation's calendar is Julian before 1582, and its
    /// 0001-01-01 is two days before PostgreSQL's.
    static func day(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int32(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        let seconds = timegm(&parts)
        // timegm carries 2025-02-30 over to March: such a day does not exist.
        guard parts.tm_year == year - 1900, parts.tm_mon == month - 1, parts.tm_mday == day else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
