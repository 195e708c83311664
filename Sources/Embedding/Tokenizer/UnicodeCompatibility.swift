import Foundation

/// Character properties as Hugging Face `tokenizers` sees them, on top of Swift's (newer)
/// Unicode data: its category tables (control/format/private use, non-spacing marks,
/// punctuation) and NFD are Unicode 8.0; its lower-casing is Rust's, as current as Swift's.
///
/// The exception lists were found by comparing, for every code point, the normaliser and
/// pre-tokenizer of `tokenizers` 0.23.3 with this implementation on Swift 6.3's Unicode data:
/// they agree on all of them. (`tokenizers` 0.15.2, built with Unicode 15, differs only in not
/// lower-casing the few dozen capital letters new in Unicode 16.)
///
/// Each answer for the first two planes (every script and most emoji) comes from a table of
/// one byte per code point, built on first use from the same rules (about 20 ms). Asking
/// Swift's Unicode data costs tens of nanoseconds a question and the tokenizer asks several
/// per scalar: that was most of the time tokenizing non-ASCII text took, and kept the chunker
/// over a second on two million emoji or combining marks.
enum UnicodeCompatibility {
    /// Whether `scalar` was assigned by Unicode 8.0, i.e. whether `tokenizers`' tables know it.
    static func isKnown(_ scalar: Unicode.Scalar) -> Bool {
        classes(of: scalar).contains(.known)
    }

    /// `tokenizers`' `is_other`: Cc, Cf, Co (Cs cannot occur); not unassigned code points.
    static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        classes(of: scalar).contains(.other)
    }

    /// Mn in Unicode 8.0.
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        classes(of: scalar).contains(.nonspacingMark)
    }

    /// Pc, Pd, Ps, Pe, Pi, Pf or Po in Unicode 8.0.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        classes(of: scalar).contains(.punctuation)
    }

    /// Whether Rust's `char::to_lowercase` changes `scalar`.
    static func lowercases(_ scalar: Unicode.Scalar) -> Bool {
        classes(of: scalar).contains(.lowercases)
    }

    /// What NFD does with a scalar Unicode 8.0 knows, as far as the normaliser needs to know.
    enum Decomposition {
        /// Neither decomposes nor reorders (a starter without a decomposition): NFD of a
        /// text is NFD of what comes before it, it, and NFD of what comes after.
        case inert
        /// A non-spacing mark that does not decompose: dropped after NFD, and as NFD's
        /// reordering is a stable sort of marks by combining class, dropping it before NFD
        /// changes nothing else. (One of combining class 0 is `inert`: it separates marks.)
        case droppedMark
        /// Decomposes or reorders: NFD must see it with its neighbours.
        case needed
    }

    /// What NFD does with `scalar`, which Unicode 8.0 knows (`isKnown`).
    static func decomposition(of scalar: Unicode.Scalar) -> Decomposition {
        let classes = classes(of: scalar)
        if classes.contains(.inert) { return .inert }
        if classes.contains(.droppedMark) { return .droppedMark }
        return .needed
    }

    // MARK: the rules, and the table of their answers

    private struct Classes: OptionSet {
        let rawValue: UInt8
        static let known = Classes(rawValue: 1 << 0)
        static let other = Classes(rawValue: 1 << 1)
        static let nonspacingMark = Classes(rawValue: 1 << 2)
        static let punctuation = Classes(rawValue: 1 << 3)
        static let lowercases = Classes(rawValue: 1 << 4)
        static let inert = Classes(rawValue: 1 << 5)
        static let droppedMark = Classes(rawValue: 1 << 6)
    }

    /// Code points below this are answered from `table`.
    private static let tabled: UInt32 = 0x20000
    private static let table: [UInt8] = (0..<tabled).map { value in
        Unicode.Scalar(value).map { computedClasses(of: $0).rawValue } ?? 0
    }

    private static func classes(of scalar: Unicode.Scalar) -> Classes {
        scalar.value < tabled ? Classes(rawValue: table[Int(scalar.value)]) : computedClasses(of: scalar)
    }

    private static func computedClasses(of scalar: Unicode.Scalar) -> Classes {
        var classes: Classes = []
        let known = scalar.properties.age.map { $0.major <= 8 } ?? false
        let category = scalar.properties.generalCategory
        if known { classes.insert(.known) }
        if known, [.control, .format, .privateUse, .surrogate].contains(category) { classes.insert(.other) }
        if markIn8ButNotNow.contains(scalar.value)
            || (known && category == .nonspacingMark && !markNowButNotIn8.contains(scalar.value) && !punctuationIn8ButNotNow.contains(scalar.value)) {
            classes.insert(.nonspacingMark)
        }
        if punctuationIn8ButNotNow.contains(scalar.value) || (known && punctuationCategories.contains(category)) {
            classes.insert(.punctuation)
        }
        if scalar.properties.changesWhenLowercased { classes.insert(.lowercases) }
        if known, !decomposes(scalar) {
            if scalar.properties.canonicalCombiningClass == .notReordered {
                classes.insert(.inert)
            } else if classes.contains(.nonspacingMark) {
                classes.insert(.droppedMark)
            }
        }
        return classes
    }

    /// Whether `scalar` has a canonical decomposition. Swift's Unicode data does not say, so
    /// Foundation is asked, except where the answer is known: ASCII and the CJK ideographs
    /// never decompose, Hangul syllables always do.
    private static func decomposes(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0xC0, 0x3400...0x4DBF, 0x4E00...0x9FFF: return false
        case 0xAC00...0xD7A3: return true
        default:
            let decomposed = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars
            return decomposed.count != 1 || decomposed.first != scalar
        }
    }

    private static let punctuationCategories: Set<Unicode.GeneralCategory> = [
        .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
        .initialPunctuation, .finalPunctuation, .otherPunctuation,
    ]

    /// U+166D CANADIAN SYLLABICS CHI SIGN (Po → So in 12.0), U+111C9 SHARADA SANDHI MARK (Po → Mn in 13.0).
    private static let punctuationIn8ButNotNow: Set<UInt32> = [0x166D, 0x111C9]
    /// U+1734 HANUNOO SIGN PAMUDPOD (Mn → Mc in 14.0), U+1171E AHOM CONSONANT SIGN MEDIAL RA (Mn → Mc in 14.0).
    private static let markIn8ButNotNow: Set<UInt32> = [0x1734, 0x1171E]
    /// U+1885/U+1886 MONGOLIAN LETTER ALI GALI BALUDA/THREE BALUDA (Lo → Mn in 9.0),
    /// U+A9BD JAVANESE CONSONANT SIGN KERET (Mc → Mn in 12.0).
    private static let markNowButNotIn8: Set<UInt32> = [0x1885, 0x1886, 0xA9BD]
}
