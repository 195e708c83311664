import Embedding

/// A text as its UTF-8 bytes, read a Unicode scalar at a time. Chunking works on byte
/// offsets into it, so finding, measuring and copying a piece costs the piece's length, never
/// the document's (walking `String` indices or counting a `Substring` costs the distance
/// walked, and in a loop over a 2 MB document that is quadratic). Scalars, not characters:
/// one grapheme cluster can be megabytes of combining marks.
struct UTF8Text {
    let bytes: [UInt8]

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    var endOffset: Int { bytes.count }

    /// The scalar that starts at `offset` (a scalar boundary before the end), and where the
    /// next one starts. The bytes came from a `String`, so they are valid UTF-8.
    func decode(at offset: Int) -> (scalar: Unicode.Scalar, next: Int) {
        let lead = bytes[offset]
        if lead < 0x80 { return (Unicode.Scalar(lead), offset + 1) }
        let length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        let payload: UInt8 = length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07
        var value = UInt32(lead & payload)
        for index in (offset + 1)..<(offset + length) {
            value = (value << 6) | UInt32(bytes[index] & 0x3F)
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", offset + length)
    }

    /// The scalar boundary at or before `offset`.
    func scalarBoundary(atOrBefore offset: Int) -> Int {
        var boundary = min(max(offset, 0), bytes.count)
        while boundary < bytes.count, (bytes[boundary] & 0xC0) == 0x80 { boundary -= 1 }
        return boundary
    }

    /// The text of `range`, whose ends are scalar boundaries.
    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// The text of `range` with each CR LF made a LF, as paragraphs are kept.
    func stringWithLineFeeds(_ range: Range<Int>) -> String {
        guard bytes[range].contains(0x0D) else { return string(range) }
        var kept = [UInt8]()
        kept.reserveCapacity(range.count)
        for offset in range {
            let isCarriageReturnOfLineFeed = bytes[offset] == 0x0D && offset + 1 < range.upperBound && bytes[offset + 1] == 0x0A
            if !isCarriageReturnOfLineFeed { kept.append(bytes[offset]) }
        }
        return String(decoding: kept, as: UTF8.self)
    }

    /// The next run of non-whitespace scalars in `offset..<end`; `offset` moves past it.
    func nextWord(from offset: inout Int, before end: Int) -> Range<Int>? {
        while offset < end {
            let (scalar, next) = decode(at: offset)
            if !Self.isWhitespace(scalar) { break }
            offset = next
        }
        guard offset < end else { return nil }
        let start = offset
        while offset < end {
            let (scalar, next) = decode(at: offset)
            if Self.isWhitespace(scalar) { break }
            offset = next
        }
        return start..<offset
    }

    /// Unicode `White_Space`: what separates words and is trimmed (the tokenizer's whitespace
    /// too). Zero-width spaces are not whitespace: they are format characters.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        UnicodeWhitespace.contains(scalar)
    }

    /// `.`, `!`, `?` and their CJK forms: a sentence ends at one followed by whitespace.
    static func endsSentence(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x21, 0x2E, 0x3F, 0x3002, 0xFF01, 0xFF1F: return true
        default: return false
        }
    }

    /// Closing quotes and brackets, which may follow a sentence's terminator: `"Go."`, `(Yes!)`.
    static func closesSentence(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x22, 0x27, 0x29, 0x5D, 0xBB, 0x2019, 0x201D, 0x300D, 0x300F, 0xFF09: return true
        default: return false
        }
    }
}
