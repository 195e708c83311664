import Foundation
import Postgres
import TestSupport
import Testing

/// Array text is read by Unicode scalar: PostgreSQL writes an element that starts with a
/// combining mark without quotes, and read by character the mark fused with the `{` or `,`
/// before it, failing the row or merging two elements into one.
@Suite struct ArrayTextTests {
    static let mark = "\u{301}"

    /// The elements as scalars: String equality is canonical equivalence, which is not the
    /// question here.
    static func scalars(_ texts: [String]?) -> [[Unicode.Scalar]]? {
        texts?.map { Array($0.unicodeScalars) }
    }

    @Test func elementsStartingWithACombiningMarkAreReadWhole() {
        let cases: [(String, [String])] = [
            ("{\(Self.mark)b}", ["\(Self.mark)b"]),
            ("{a,\(Self.mark)b}", ["a", "\(Self.mark)b"]),
            ("{\(Self.mark)a,b,\(Self.mark)}", ["\(Self.mark)a", "b", Self.mark]),
            ("{\"\(Self.mark)q\",\(Self.mark)u}", ["\(Self.mark)q", "\(Self.mark)u"]),
            ("{\"x\\\"\(Self.mark)\",NULL2}", ["x\"\(Self.mark)", "NULL2"]),
        ]
        for (text, expected) in cases {
            #expect(Self.scalars([String](postgresText: text)) == Self.scalars(expected), "\(text.unicodeScalars.map(\.value))")
        }
    }

    @Test func textArraysRoundTripThroughPostgreSQL() async throws {
        try await TestDatabase.with { _, pool in
            let tags = ["\(Self.mark)accent", "plain", "e\(Self.mark)", Self.mark, "\(Self.mark)\(Self.mark)", "with space", "\(Self.mark)\"quoted\""]
            for texts in [tags, Array(tags.reversed())] {
                let row = try await pool.query("SELECT \(texts)::text[] AS texts, array_length(\(texts)::text[], 1) AS count").first!
                #expect(try row.decode("count", as: Int.self) == texts.count)
                #expect(Self.scalars(try row.decode("texts", as: [String].self)) == Self.scalars(texts))
            }
            // As PostgreSQL writes them itself, unquoted.
            let written = try await pool.query("SELECT ARRAY[U&'\\0301b', 'a', U&'c\\0301']::text[] AS texts").first!
            #expect(Self.scalars(try written.decode("texts", as: [String].self)) == Self.scalars(["\(Self.mark)b", "a", "c\(Self.mark)"]))
        }
    }
}
