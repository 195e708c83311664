import NIOPosix

/// Splits a document into chunks that fit the embedding model's window, on paragraph and
/// sentence boundaries, with a small overlap so a fact cut at a boundary is still whole in
/// one chunk.
///
/// Paragraphs (separated by blank lines) are kept together when they fit; a paragraph too
/// long for one chunk is split into sentences; a sentence too long into words; a word too long
/// is cut. Pieces are packed into chunks in order, and the last `overlapTokens` worth of pieces
/// of a chunk start the next one.
///
/// A chunk is bounded by bytes (`maxBytes`) as well as tokens, so text the counter sees few
/// tokens in (control characters, zero-width spaces, combining marks, words too long for the
/// vocabulary) cannot make a chunk of megabytes. Time is linear in the text, whatever it
/// holds: the counter only ever runs on spans of at most `maxBytes`, each byte a small, fixed
/// number of times (see `PieceCutter` and `ChunkAssembler`).
public struct TextChunker: Sendable {
    /// Most tokens in a chunk, counting only the text (the model adds `[CLS]`/`[SEP]`).
    public let maxTokens: Int
    public let overlapTokens: Int
    /// Most UTF-8 bytes in a chunk's text. Ordinary text has 3 to 6 bytes per token, so only
    /// text with few tokens in many bytes meets this bound before `maxTokens`.
    public let maxBytes: Int
    /// Most UTF-8 bytes of overlap: `overlapTokens` at the bytes per token of `maxBytes`.
    let overlapBytes: Int
    /// The tokens the counter adds for the space between two pieces, and for the blank line
    /// between two paragraphs, measured once: 0 for WordPiece (whitespace only separates), 1
    /// and 2 for a counter of characters. A join is estimated as its pieces plus these; every
    /// chunk is then counted whole, so a counter that is not additive is still obeyed.
    let wordBreakTokens: Int
    let paragraphBreakTokens: Int
    let countTokens: @Sendable (String) -> Int

    /// The default `maxBytes` is `maxTokens` times this.
    public static let defaultBytesPerToken = 16
    /// Bounds of `maxTokens` and `maxBytes`: products of the two stay far from overflowing.
    static let largestMaxTokens = 1 << 20
    static let largestMaxBytes = 1 << 30

    public init(
        maxTokens: Int = 254, overlapTokens: Int = 32, maxBytes: Int? = nil,
        countTokens: @escaping @Sendable (String) -> Int
    ) {
        self.maxTokens = min(max(8, maxTokens), Self.largestMaxTokens)
        self.overlapTokens = min(max(0, overlapTokens), self.maxTokens / 4)
        // At least one scalar (4 bytes) fits, so cutting always makes progress.
        self.maxBytes = min(max(4, maxBytes ?? self.maxTokens * Self.defaultBytesPerToken), Self.largestMaxBytes)
        overlapBytes = self.overlapTokens * self.maxBytes / self.maxTokens
        self.countTokens = countTokens
        let word = countTokens("a")
        wordBreakTokens = max(0, countTokens("a a") - 2 * word)
        paragraphBreakTokens = max(0, countTokens("a\n\na") - 2 * word)
    }

    /// One chunk's text and its token count as the counter measured it.
    public struct Chunk: Sendable, Equatable {
        public var text: String
        public var tokenCount: Int
    }

    /// The chunks of `text`, in order, computed on the calling thread: for short texts and
    /// tests. A job chunks a document with `chunksOffPool(of:)`.
    public func chunks(of text: String) -> [Chunk] {
        // Nothing cancels a chunking without a cancellation, so this never throws.
        (try? chunks(of: text, checkpoint: CancellationCheckpoint(nil))) ?? []
    }

    /// The chunks of `text`, computed on NIO's thread pool for blocking work: the largest
    /// document takes a good part of a second of CPU, too long for one of the few cooperative
    /// threads. Cancelling the calling task (a job's time-out or cancel does) stops the work
    /// itself within a few hundred pieces, with `CancellationError`.
    public func chunksOffPool(of text: String) async throws -> [Chunk] {
        let cancellation = ChunkingCancellation()
        return try await withTaskCancellationHandler {
            try await NIOThreadPool.singleton.runIfActive { [self] in
                try chunks(of: text, checkpoint: CancellationCheckpoint(cancellation))
            }
        } onCancel: {
            cancellation.raise()
        }
    }

    func chunks(of text: String, checkpoint: CancellationCheckpoint) throws -> [Chunk] {
        var cutter = PieceCutter(chunker: self, text: UTF8Text(text), checkpoint: checkpoint)
        try cutter.cutParagraphs()
        var assembler = ChunkAssembler(chunker: self, pieces: cutter.pieces, checkpoint: cutter.checkpoint)
        return try assembler.assemble()
    }
}

/// A part of a document that fits in a chunk by itself: a paragraph, a sentence, a word or a
/// fragment of a word.
struct ChunkPiece {
    var text: String
    var tokens: Int
    /// `text.utf8.count`.
    var bytes: Int
    /// The first piece of a paragraph: a blank line separates it from the piece before it in a
    /// chunk, where other pieces are separated by a space.
    var startsParagraph = false
}
