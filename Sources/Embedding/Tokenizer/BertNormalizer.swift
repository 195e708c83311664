import Foundation

/// The text normalisation of BERT's uncased tokenizer (Hugging Face `BertNormalizer` with
/// `clean_text`, `handle_chinese_chars`, `strip_accents` following `lowercase`, and `lowercase`),
/// and the character classes its pre-tokenizer splits on.
///
/// `tokenizers` classifies characters with older Unicode data than Swift's: its control,
/// non-spacing-mark and punctuation tables and its NFD are Unicode 8.0. This type reproduces that, so token ids match for any input: characters
/// assigned later are plain letters that do not decompose (usually becoming `[UNK]`),
/// unassigned code points are kept, and the few characters whose category changed since 8.0
/// keep their 8.0 category (see `UnicodeCompatibility`).
enum BertNormalizer {
    /// Normalises `text` the way `tokenizers`' `BertNormalizer` does, in its order:
    /// drop NUL, U+FFFD and control/format/private-use characters; map whitespace to a space;
    /// put spaces around CJK ideographs; NFD and drop non-spacing marks; lower-case.
    static func normalize(_ text: String) -> [Unicode.Scalar] {
        // Arrays, not `String.UnicodeScalarView`s: appending a scalar to a string costs
        // several times as much, and this runs on every scalar of every text embedded.
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(text.utf8.count)
        var isASCII = true
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isChineseCharacter(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
                isASCII = false
            } else {
                cleaned.append(scalar)
                if !scalar.isASCII { isASCII = false }
            }
        }
        if isASCII { return cleaned.map(lowercasedASCII) }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(cleaned.count)
        appendDecomposedLowercased(cleaned, to: &result)
        return result
    }

    /// The pre-tokenizer's whitespace: Unicode `White_Space`, which includes tab, line feed,
    /// vertical tab, form feed and carriage return.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        UnicodeWhitespace.contains(scalar)
    }

    /// BERT's punctuation: every ASCII punctuation or symbol character, plus Unicode `P*`.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 33...47, 58...64, 91...96, 123...126: return true
        case 0..<0x80: return false
        default: return UnicodeCompatibility.isPunctuation(scalar)
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D, 0x20..<0x7F: return false
        default: return UnicodeCompatibility.isOther(scalar)
        }
    }

    /// The CJK Unified Ideograph blocks BERT surrounds with spaces (not kana or Hangul), exactly
    /// as `tokenizers` lists them (its Extension E range starts at U+2B920, not U+2B820).
    private static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    private static func lowercasedASCII(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        (65...90).contains(scalar.value) ? Unicode.Scalar(UInt8(scalar.value + 32)) : scalar
    }

    /// NFD (Unicode 8.0: later characters neither decompose nor reorder), drop non-spacing
    /// marks, lower-case. Foundation decomposes, as UTF-8, only the runs of scalars that
    /// decompose or reorder (`UnicodeCompatibility.Decomposition`); the others are dropped or
    /// appended as they are.
    private static func appendDecomposedLowercased(_ text: [Unicode.Scalar], to result: inout [Unicode.Scalar]) {
        var segment: [UInt8] = []
        for scalar in text {
            if scalar.isASCII {
                appendDecomposedLowercased(utf8: &segment, to: &result)
                result.append(lowercasedASCII(scalar))
            } else if !UnicodeCompatibility.isKnown(scalar) {
                appendDecomposedLowercased(utf8: &segment, to: &result)
                appendLowercased(CollectionOfOne(scalar), to: &result)
            } else {
                switch UnicodeCompatibility.decomposition(of: scalar) {
                case .inert:
                    appendDecomposedLowercased(utf8: &segment, to: &result)
                    appendLowercased(CollectionOfOne(scalar), to: &result)
                case .droppedMark:
                    continue
                case .needed:
                    UTF8.encode(scalar) { segment.append($0) }
                }
            }
        }
        appendDecomposedLowercased(utf8: &segment, to: &result)
    }

    /// Appends the run `segment` decomposed and lower-cased, and empties it.
    private static func appendDecomposedLowercased(utf8 segment: inout [UInt8], to result: inout [Unicode.Scalar]) {
        guard !segment.isEmpty else { return }
        appendLowercased(String(decoding: segment, as: UTF8.self).decomposedStringWithCanonicalMapping.unicodeScalars, to: &result)
        segment.removeAll(keepingCapacity: true)
    }

    private static func appendLowercased<S: Sequence<Unicode.Scalar>>(_ scalars: S, to result: inout [Unicode.Scalar]) {
        for scalar in scalars {
            if scalar.isASCII {
                result.append(lowercasedASCII(scalar))
            } else if UnicodeCompatibility.isNonspacingMark(scalar) {
                continue
            } else if UnicodeCompatibility.lowercases(scalar) {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
    }
}
