import Core
import Embedding
import Foundation
import Synchronization
import TestSupport
import Testing

/// Documents in the shapes that made the old chunker quadratic or unbounded, at a tenth of
/// the largest size the API takes (200,000 Unicode scalars; the suite shares two cores with
/// database tests): each is chunked into chunks the model takes whole, within the byte
/// bound, losing no text. Their speed at the full 2,000,000 is measured by `make
/// bench-chunker`; here only what comes out. One at a time.
@Suite(.serialized) struct TextChunkerHostileTests {
    /// The worker's chunker: MiniLM's WordPiece tokenizer, 254 tokens.
    let chunker: TextChunker

    init() throws {
        let vocabulary = ProjectPaths.root.appendingPathComponent(".deps/minilm/vocab.txt").path
        let tokenizer = try WordPieceTokenizer(vocabularyFile: vocabulary)
        chunker = TextChunker(maxTokens: 254) { tokenizer.wordPieceIDs($0).count }
    }

    enum Shape: String, CaseIterable, Sendable {
        case controlCharactersAndSpaces, lettersAndDots, lettersAndCommas, oneWord
        case zeroWidthSpaces, combiningMarks, emojiLine, lineBreaks

        /// `unit` repeated to a tenth of the API's largest document.
        static func repeated(_ unit: String) -> String {
            String(repeating: unit, count: 200_000 / unit.unicodeScalars.count)
        }

        var text: String {
            switch self {
            case .controlCharactersAndSpaces: Self.repeated("\u{0001} ")
            case .lettersAndDots: Self.repeated("x.")
            case .lettersAndCommas: Self.repeated("ab,")
            case .oneWord: Self.repeated("x")
            case .zeroWidthSpaces: Self.repeated("\u{200B}")
            case .combiningMarks: Self.repeated("\u{0301}")
            case .emojiLine: Self.repeated("\u{1F600}")
            case .lineBreaks: Self.repeated("\r\n")
            }
        }
    }

    @Test(arguments: Shape.allCases)
    func everyChunkFitsAndNoTextIsLost(_ shape: Shape) {
        let text = shape.text
        let chunks = chunker.chunks(of: text)
        #expect(chunks.isEmpty == (shape == .lineBreaks))
        #expect(chunks.allSatisfy { $0.tokenCount <= chunker.maxTokens })
        #expect(chunks.allSatisfy { !$0.text.isEmpty && $0.text.utf8.count <= chunker.maxBytes })
        #expect(Self.keepsEveryNonWhitespaceScalar(of: text, in: chunks))
    }

    /// The old chunker's slowest shape is cut into full chunks that rejoin into the text: each
    /// has far more tokens than the overlap, so none repeats the end of the one before.
    @Test func aWordOfPunctuatedLettersIsCutIntoFullChunksThatRejoinExactly() {
        let text = Shape.lettersAndDots.text
        let chunks = chunker.chunks(of: text)
        #expect(chunks.map(\.text).joined() == text)
        #expect(chunks.dropLast().allSatisfy { $0.tokenCount > chunker.maxTokens / 2 })
    }

    /// Text the counter sees no tokens in is still cut, by bytes.
    @Test func textWithoutTokensIsCutByBytes() {
        let blind = TextChunker(maxTokens: 20, overlapTokens: 5, maxBytes: 100) { _ in 0 }
        let text = String(repeating: "ab ", count: 1000) + String(repeating: "c", count: 1000)
        let chunks = blind.chunks(of: text)
        #expect(chunks.count > 20)
        #expect(chunks.allSatisfy { $0.text.utf8.count <= 100 })
        #expect(Self.keepsEveryNonWhitespaceScalar(of: text, in: chunks))
    }

    /// A counter whose joins are not additive (bytes over four, the worker's fallback without a
    /// vocabulary) is still obeyed: a chunk it finds too long is split.
    @Test func aCounterThatIsNotAdditiveIsStillObeyed() {
        let quarters = TextChunker(maxTokens: 20, overlapTokens: 5) { max(1, $0.utf8.count / 4) }
        let text = String(repeating: "abcdefg ", count: 500)
        let chunks = quarters.chunks(of: text)
        #expect(chunks.allSatisfy { $0.tokenCount <= 20 && $0.tokenCount == max(1, $0.text.utf8.count / 4) })
        #expect(Self.keepsEveryNonWhitespaceScalar(of: text, in: chunks))
    }

    /// A sentence too long for a chunk is packed by words, and neighbours overlap by the last
    /// words that fit in the overlap.
    @Test func aLongSentenceIsPackedByWordsThatOverlap() {
        let words = TextChunker(maxTokens: 20, overlapTokens: 5) { $0.split(whereSeparator: \.isWhitespace).count }
        let text = (1...100).map { "w\($0)" }.joined(separator: " ")
        let chunks = words.chunks(of: text)
        #expect(chunks.first?.text == (1...20).map { "w\($0)" }.joined(separator: " "))
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            #expect(next.text.hasPrefix(previous.text.split(separator: " ").suffix(5).joined(separator: " ") + " "))
        }
        #expect(chunks.last?.text.hasSuffix(" w100") == true)
    }

    /// Cancelling the task that waits stops the chunking itself, on its thread pool, mid-way.
    @Test func cancellingTheWaitingTaskStopsTheChunking() async throws {
        let gate = FirstCountGate()
        let gated = TextChunker(maxTokens: 254) { text in
            gate.pass()
            return text.utf8.count / 4
        }
        gate.arm()
        let text = String(repeating: "word ", count: 400_000)
        let chunking = Task { try await gated.chunksOffPool(of: text) }
        await gate.waitUntilStarted()
        chunking.cancel()
        gate.release()
        await #expect(throws: CancellationError.self) { try await chunking.value }
    }

    /// Whether every non-whitespace scalar of `text` appears, in order, in the chunks' texts
    /// (a chunk may repeat the end of the one before it: the overlap).
    static func keepsEveryNonWhitespaceScalar(of text: String, in chunks: [TextChunker.Chunk]) -> Bool {
        var wanted = text.unicodeScalars.lazy.filter { !$0.properties.isWhitespace }.makeIterator()
        var next = wanted.next()
        for chunk in chunks {
            for scalar in chunk.text.unicodeScalars where scalar == next {
                next = wanted.next()
            }
        }
        return next == nil
    }
}

/// Holds a chunker's first token count after `arm()` until the test calls `release()`, and
/// tells the test when it got there: the test cancels while the chunking certainly runs.
/// The count waits on the chunking's thread (a thread pool's, where waiting is allowed).
final class FirstCountGate: Sendable {
    private let armed = Atomic<Bool>(false)
    private let released = Atomic<Bool>(false)
    private let started: AsyncStream<Void>
    private let startedContinuation: AsyncStream<Void>.Continuation

    init() {
        let stream = AsyncStream.makeStream(of: Void.self)
        started = stream.stream
        startedContinuation = stream.continuation
    }

    func arm() { armed.store(true, ordering: .relaxed) }

    func pass() {
        guard armed.exchange(false, ordering: .relaxed) else { return }
        startedContinuation.yield()
        while !released.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 0.001) }
    }

    func waitUntilStarted() async {
        for await _ in started { return }
    }

    func release() { released.store(true, ordering: .relaxed) }
}
