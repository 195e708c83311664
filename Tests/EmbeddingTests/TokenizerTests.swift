import Foundation
import Embedding
import Testing

@Suite("WordPiece tokenizer")
struct TokenizerTests {
    private var tokenizer: WordPieceTokenizer {
        get throws { try TestResources.sharedEmbedder().tokenizer }
    }

    @Test(arguments: ["", " ", "\t\n  \r\n", "\u{200B}", "\u{0000}\u{FFFD}"])
    func emptyAndWhitespaceGiveOnlyClsAndSep(_ text: String) throws {
        #expect(try tokenizer.encode(text) == [101, 102])
    }

    @Test func textsOver256TokensAreTruncatedWithSepLast() throws {
        let text = Array(repeating: "the quick brown fox jumps over the lazy dog", count: 100).joined(separator: " ")
        let ids = try tokenizer.encode(text)
        #expect(ids.count == 256)
        #expect(ids.first == 101)
        #expect(ids.last == 102)
        #expect(try tokenizer.tokenCount(text) == 902)
    }

    @Test func truncationKeepsTheFirstPiecesOfASplitWord() throws {
        let words = Array(repeating: "word", count: 253).joined(separator: " ")
        let ids = try tokenizer.encode(words + " unaffable")
        #expect(ids.count == 256)
        #expect(Array(ids.suffix(2)) == [try tokenizer.encode("unaffable")[1], 102])
    }

    @Test func casingAndAccentsDoNotMatter() throws {
        #expect(try tokenizer.encode("CAFÉ Crème") == tokenizer.encode("cafe creme"))
    }

    @Test func punctuationIsSplitAndContinuationsUseHashes() throws {
        let tokenizer = try tokenizer
        // "embeddings" → em ##bed ##ding ##s; "!" is a word of its own.
        #expect(tokenizer.encode("embeddings!") == [101, 7861, 8270, 4667, 2015, 999, 102])
        #expect(tokenizer.encode("embeddings !") == tokenizer.encode("embeddings!"))
    }

    @Test func wordsLongerThan100CharactersBecomeUnknown() throws {
        let tokenizer = try tokenizer
        #expect(tokenizer.encode(String(repeating: "a", count: 101)) == [101, tokenizer.unknownID, 102])
        #expect(tokenizer.encode(String(repeating: "a", count: 100)).count > 3)
    }

    @Test func charactersNewerThanUnicode8AreKeptAsWordsLikeTokenizersDoes() throws {
        let tokenizer = try tokenizer
        // U+2E43 (Po, Unicode 9.0) is not punctuation to `tokenizers`: "a⹃b" is one [UNK] word.
        #expect(tokenizer.encode("a\u{2E43}b") == [101, 100, 102])
        // U+2E42 (Ps, Unicode 8.0) is.
        #expect(tokenizer.encode("a\u{2E42}b") == [101, 1037, 100, 1038, 102])
        // Private-use characters are removed, unassigned ones are not.
        #expect(tokenizer.encode("a\u{E000}b") == tokenizer.encode("ab"))
        #expect(tokenizer.encode("a\u{0378}b") == [101, 100, 102])
    }

    /// Characters whose Unicode category changed after 8.0 (the data `tokenizers` uses), with
    /// the ids `tokenizers` 0.23.3 gives.
    @Test(arguments: [
        ("a\u{166D}b", [101, 1037, 100, 1038, 102]),  // Po in 8.0, So now: still splits
        ("\u{1734}\u{1D56}", [101, 1504, 102]),  // Mn in 8.0, Mc now: still stripped
        ("a\u{1885}b", [101, 100, 102]),  // Lo in 8.0, Mn now: still a letter
        ("a\u{A9BD}b", [101, 100, 102]),  // Mc in 8.0, Mn now
        ("a\u{111C9}b", [101, 1037, 100, 1038, 102]),  // Po in 8.0, Mn now
        ("\u{11938}\u{1D56}", [101, 100, 102]),  // decomposes only since Unicode 13
        ("a\u{2B820}b", [101, 100, 102]),  // not in tokenizers' CJK ranges
        ("\u{1D56}\u{0B}x", [101, 1504, 2595, 102]),  // vertical tab removed
        ("İstanbul", [101, 9960, 102]),
    ])
    func unicodeEdgeCasesMatchTokenizers(_ text: String, _ ids: [Int]) throws {
        #expect(try tokenizer.encode(text) == ids)
    }

    /// The written-out whitespace set is Swift's (and so Rust's) `White_Space` for every code
    /// point: the chunker and the tokenizer split words where the reference model does.
    @Test func theWrittenOutWhitespaceIsUnicodesForEveryCodePoint() {
        let disagreeing = (UInt32(0)...0x10FFFF).compactMap(Unicode.Scalar.init)
            .filter { UnicodeWhitespace.contains($0) != $0.properties.isWhitespace }
        #expect(disagreeing.isEmpty, "\(disagreeing.prefix(10).map { String($0.value, radix: 16) })")
    }

    /// The normaliser decomposes only runs that need it (`UnicodeCompatibility.Decomposition`).
    /// Were a scalar that decomposes or reorders taken as one that does not, a text and its NFD
    /// would tokenize differently: checked for every code point Unicode 8.0 assigned in the
    /// first two planes, alone and between marks of three combining classes.
    @Test func decomposingFirstChangesNothingForAnyCodePoint() throws {
        let tokenizer = try tokenizer
        let marks = "\u{0301}\u{0334}\u{0327}"  // combining classes 230, 1, 202
        var differing: [String] = []
        for value in UInt32(0x80)..<0x20000 {
            guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age, age.major <= 8,
                  ![0x1885, 0x1886].contains(value)  // combining class 0 in Unicode 8.0, 228 now
            else { continue }
            for text in ["a\(scalar)b", "a\(marks)\(scalar)\(marks)b"] {
                if tokenizer.wordPieceIDs(text) != tokenizer.wordPieceIDs(text.decomposedStringWithCanonicalMapping) {
                    differing.append(String(value, radix: 16))
                }
            }
        }
        #expect(differing.isEmpty, "\(differing.count): \(differing.prefix(20))")
    }

    @Test func aVocabularyWithoutSpecialTokensIsRejected() {
        #expect(throws: EmbeddingError.self) { try WordPieceTokenizer(tokens: ["a", "b"]) }
    }
}
