import Core
import Embedding
import Foundation
import TestSupport
import Testing

@Suite struct TextChunkerTests {
    /// One token per whitespace-separated word: easy to reason about.
    let words = TextChunker(maxTokens: 20, overlapTokens: 5) { $0.split(whereSeparator: \.isWhitespace).count }

    @Test func shortParagraphsShareAChunkAndKeepTheirBreaks() {
        let chunks = words.chunks(of: "One two three.\n\nFour five six.")
        #expect(chunks.map(\.text) == ["One two three.\n\nFour five six."])
    }

    @Test func everyChunkFitsAndNothingIsLost() {
        let sentences = (1...40).map { "Sentence number \($0) has exactly seven words." }
        let text = stride(from: 0, to: 40, by: 5).map { sentences[$0..<$0 + 5].joined(separator: " ") }.joined(separator: "\n\n")
        let chunks = words.chunks(of: text)
        #expect(chunks.count > 5)
        #expect(chunks.allSatisfy { $0.tokenCount <= 20 })
        for sentence in sentences {
            #expect(chunks.contains { $0.text.contains(sentence) }, "lost: \(sentence)")
        }
    }

    @Test func neighbouringChunksOverlapBySentences() {
        let text = (1...12).map { "Fact \($0) is short." }.joined(separator: " ")
        let chunks = words.chunks(of: text)
        #expect(chunks.count >= 3)
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            let lastSentence = previous.text.components(separatedBy: ". ").last!
            #expect(next.text.hasPrefix(lastSentence.hasSuffix(".") ? lastSentence : lastSentence + "."))
        }
    }

    /// The chunker cuts sentences by the rule the sentence segmenter uses: not after a title,
    /// an initial, an abbreviation or a decimal point. Each sentence here has 15–17 words, so
    /// two never share a 20-word chunk, and a sentence cut in two would be whole in none.
    @Test func sentencesAreNotCutAtAbbreviationsInitialsOrDecimals() {
        let sentences = [
            "Yesterday the clinic confirmed that Dr. Okafor will see me on Tuesday for the yearly checkup.",
            "The letter was signed by J. K. Rowling herself and then framed above the old fireplace.",
            "Fruit such as apples, pears etc. must be weighed at the till before paying at the exit.",
            "The new price is 3.50 euros per kilo, which is far more than it cost last year.",
            "She said \"We leave at noon for the coast, so pack light and bring water.\" Nobody else in the room knew where we went.",
        ]
        let chunks = words.chunks(of: sentences.joined(separator: " "))
        for sentence in sentences.dropLast() {
            #expect(chunks.contains { $0.text.contains(sentence) }, "cut: \(sentence) in \(chunks.map(\.text))")
        }
        // A closing quote after the period still ends the sentence.
        #expect(chunks.contains { $0.text.hasSuffix("bring water.\"") }, "\(chunks.map(\.text))")
        #expect(!chunks.contains { $0.text.hasSuffix("Dr.") || $0.text.hasSuffix(" J.") || $0.text.hasSuffix(" K.") })
    }

    @Test func aSentenceLongerThanAChunkIsSplitIntoWordRuns() {
        let long = (1...50).map { "w\($0)" }.joined(separator: " ")
        let chunks = words.chunks(of: long)
        #expect(chunks.allSatisfy { $0.tokenCount <= 20 })
        #expect(chunks.first?.text.hasPrefix("w1 w2") == true)
        #expect(chunks.last?.text.hasSuffix("w50") == true)
    }

    @Test func aWordLongerThanAChunkIsCut() {
        let characters = TextChunker(maxTokens: 8, overlapTokens: 0) { $0.count }
        let chunks = characters.chunks(of: String(repeating: "x", count: 30))
        #expect(chunks.allSatisfy { $0.tokenCount <= 8 })
        #expect(chunks.map(\.text).joined() == String(repeating: "x", count: 30))
    }

    @Test func emptyTextHasNoChunks() {
        #expect(words.chunks(of: "  \n\n \t ").isEmpty)
    }

    @Test func chunksFitTheModelWindowWithTheRealTokenizer() throws {
        let vocabulary = ProjectPaths.root.appendingPathComponent(".deps/minilm/vocab.txt").path
        let tokenizer = try WordPieceTokenizer(vocabularyFile: vocabulary)
        let chunker = TextChunker(maxTokens: 254) { tokenizer.wordPieceIDs($0).count }
        let paragraph = "Photosynthesis converts light energy into chemical energy, storing it in glucose molecules. "
        let text = (1...12).map { _ in String(repeating: paragraph, count: 8) }.joined(separator: "\n\n")
        let chunks = chunker.chunks(of: text)
        #expect(chunks.count > 3)
        // Every chunk reaches the model whole: [CLS] + pieces + [SEP] within 256 tokens.
        #expect(chunks.allSatisfy { tokenizer.tokenCount($0.text) <= 256 })
    }
}
