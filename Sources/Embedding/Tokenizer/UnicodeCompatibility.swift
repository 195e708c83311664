/// Character properties as Hugging Face `tokenizers` sees them, on top of Swift's (newer)
/// Unicode data: its category tables (control/format/private use, non-spacing marks,
/// punctuation) and NFD are Unicode 8.0; its lower-casing is Rust's, as current as Swift's.
///
/// The exception lists were found by comparing, for every code point, the normaliser and
/// pre-tokenizer of `tokenizers` 0.23.3 with this implementation on Swift 6.3's Unicode data:
/// they agree on all of them. (`tokenizers` 0.15.2, built with Unicode 15, differs only in not
/// lower-casing the few dozen capital letters new in Unicode 16.)
enum UnicodeCompatibility {
    /// Whether `scalar` was assigned by Unicode 8.0, i.e. whether `tokenizers`' tables know it.
    static func isKnown(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major <= 8
    }

    /// `tokenizers`' `is_other`: Cc, Cf, Co (Cs cannot occur); not unassigned code points.
    static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        guard isKnown(scalar) else { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// Mn in Unicode 8.0.
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        if markIn8ButNotNow.contains(scalar.value) { return true }
        if markNowButNotIn8.contains(scalar.value) || punctuationIn8ButNotNow.contains(scalar.value) { return false }
        return isKnown(scalar) && scalar.properties.generalCategory == .nonspacingMark
    }

    /// Pc, Pd, Ps, Pe, Pi, Pf or Po in Unicode 8.0.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if punctuationIn8ButNotNow.contains(scalar.value) { return true }
        guard isKnown(scalar) else { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// Whether Rust's `char::to_lowercase` changes `scalar`.
    static func lowercases(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.changesWhenLowercased
    }

    /// U+166D CANADIAN SYLLABICS CHI SIGN (Po → So in 12.0), U+111C9 SHARADA SANDHI MARK (Po → Mn in 13.0).
    private static let punctuationIn8ButNotNow: Set<UInt32> = [0x166D, 0x111C9]
    /// U+1734 HANUNOO SIGN PAMUDPOD (Mn → Mc in 14.0), U+1171E AHOM CONSONANT SIGN MEDIAL RA (Mn → Mc in 14.0).
    private static let markIn8ButNotNow: Set<UInt32> = [0x1734, 0x1171E]
    /// U+1885/U+1886 MONGOLIAN LETTER ALI GALI BALUDA/THREE BALUDA (Lo → Mn in 9.0),
    /// U+A9BD JAVANESE CONSONANT SIGN KERET (Mc → Mn in 12.0).
    private static let markNowButNotIn8: Set<UInt32> = [0x1885, 0x1886, 0xA9BD]
}
