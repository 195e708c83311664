/// Unicode `White_Space`, as Rust's `char::is_whitespace` (the tokenizer's) and Swift's
/// `properties.isWhitespace` answer it: tab, line feed, vertical tab, form feed, carriage
/// return, space, NEL, the no-break and other space separators, and the line and paragraph
/// separators. The set has not changed since Unicode 6.3, so it is written out: a switch
/// costs nothing, a lookup in Swift's Unicode data tens of nanoseconds a scalar.
public enum UnicodeWhitespace {
    public static func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}
