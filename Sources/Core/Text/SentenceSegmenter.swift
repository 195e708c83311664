import Foundation

/// Splits text into sentences the way a reader would. A line break always ends one. `.`, `!`
/// and `?` end one when whitespace or the end follows, with closing quotes and brackets kept
/// in it, except:
///
/// - after a known abbreviation (`Dr.`, `Mr.`, `e.g.`, `etc.`, `Inc.` …) or a single letter (an
///   initial: `J. K. Rowling`);
/// - when what follows starts in lower case (`Wait... what?`, `e.g. apples`);
///
/// and a decimal point (`3.50`) never does, as no whitespace follows it. Shared by what
/// splits text into sentences: memory extraction, offline answers and (through
/// `endsSentence(terminator:word:next:)`) the chunker.
public enum SentenceSegmenter {
    /// Words that end with a period without ending a sentence, lower-cased, without it.
    static let abbreviations: Set<String> = [
        "dr", "mr", "mrs", "ms", "mx", "prof", "sr", "jr", "st", "mt", "ft", "rev", "gen", "col", "capt", "lt", "sgt", "gov", "sen", "rep",
        "vs", "etc", "e.g", "i.e", "cf", "al", "approx", "ca", "no", "nos", "vol", "fig", "p", "pp", "ch", "ed", "eds",
        "inc", "ltd", "co", "corp", "dept", "univ", "assn", "bros", "ave", "blvd", "rd",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "a.m", "p.m",
    ]

    /// The sentences of `text`, in order, trimmed of spaces; empty ones are dropped.
    public static func sentences(of text: String) -> [String] {
        let characters = Array(text)
        var sentences = [String]()
        var start = 0
        var index = 0
        func close(at end: Int) {
            let sentence = String(characters[start..<end]).trimmingCharacters(in: .whitespaces)
            if !sentence.isEmpty { sentences.append(sentence) }
            start = end
        }
        while index < characters.count {
            let character = characters[index]
            if character == "\n" || character == "\r\n" {
                close(at: index)
                start = index + 1
            } else if ".!?".contains(character) {
                var end = index + 1
                while end < characters.count, ".!?".contains(characters[end]) || closers.contains(characters[end]) { end += 1 }
                if endsSentence(characters, terminator: index, after: end) {
                    close(at: end)
                }
                index = end - 1
            }
            index += 1
        }
        close(at: characters.count)
        return sentences
    }

    static let closers: Set<Character> = ["\"", "'", "\u{201D}", "\u{2019}", ")", "]", "\u{BB}"]
    static let openers: Set<Character> = ["(", "\"", "'", "\u{201C}"]

    /// Whether the terminator at `terminator` (with what closes it, up to `after`) ends a
    /// sentence.
    private static func endsSentence(_ characters: [Character], terminator: Int, after: Int) -> Bool {
        // Only before whitespace or the end: `3.50`, `example.com` go on.
        guard after == characters.count || characters[after].isWhitespace else { return false }
        var next = after
        while next < characters.count, characters[next].isWhitespace, characters[next] != "\n" { next += 1 }
        var wordStart = terminator
        while wordStart > 0, !characters[wordStart - 1].isWhitespace { wordStart -= 1 }
        return endsSentence(
            terminator: characters[terminator].unicodeScalars.first!, word: String(characters[wordStart..<terminator]),
            next: next < characters.count && characters[next] != "\n" ? characters[next].unicodeScalars.first : nil)
    }

    /// The rule every splitter of sentences shares (this one and the chunker's), for a
    /// terminator (`.`, `!`, `?` or a CJK form) that whitespace or the end follows: whether it
    /// ends the sentence, given the `word` it ends (the text from the last whitespace up to
    /// the terminator) and `next`, the first scalar after the whitespace (nil at a line break
    /// or the end). Lower case next continues the sentence (`Wait... what?`, `e.g. apples`);
    /// a period after an abbreviation (`Dr.`, `etc.`) or a single letter (an initial) does not
    /// end one.
    public static func endsSentence(terminator: Unicode.Scalar, word: String, next: Unicode.Scalar?) -> Bool {
        if let next, next.properties.isLowercase { return false }
        guard terminator == "." else { return true }
        let bare = word.lastIndex(where: openers.contains).map { word[word.index(after: $0)...] } ?? word[...]
        if bare.count == 1, bare.first?.isLetter == true { return false }
        return !abbreviations.contains(bare.lowercased())
    }
}
