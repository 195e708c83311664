/// Packs pieces into chunks, in order: a chunk takes pieces while their tokens and bytes fit,
/// separators included, and the next chunk starts with the last pieces of the one before that
/// fit in the overlap, when the next piece has room beside them.
///
/// The chunk being filled is always a run of consecutive pieces, so it is kept as a start
/// index with running totals: packing costs a constant per piece however small the pieces
/// (a million words of nothing but control characters), and each chunk's text is joined and
/// counted once.
struct ChunkAssembler {
    let chunker: TextChunker
    let pieces: [ChunkPiece]
    private(set) var checkpoint: CancellationCheckpoint
    private var chunks: [TextChunker.Chunk] = []

    init(chunker: TextChunker, pieces: [ChunkPiece], checkpoint: CancellationCheckpoint) {
        self.chunker = chunker
        self.pieces = pieces
        self.checkpoint = checkpoint
    }

    /// Tokens (estimated: the pieces' own plus the counter's separators) and bytes (exact) of
    /// a run of pieces joined.
    private struct Size {
        var tokens = 0
        var bytes = 0
    }

    mutating func assemble() throws -> [TextChunker.Chunk] {
        var start = 0
        var size = Size()
        var hasNewText = false
        for index in pieces.indices {
            try checkpoint.pass()
            if hasNewText, !fits(index, after: start, size) {
                try emit(start..<index)
                start = overlapStart(before: index, notBefore: start)
                size = measure(start..<index)
                hasNewText = false
            }
            if !fits(index, after: start, size) {
                // No room for the overlap beside this piece.
                start = index
                size = Size()
            }
            size = adding(index, to: start, size)
            hasNewText = true
        }
        if hasNewText { try emit(start..<pieces.count) }
        return chunks
    }

    /// The size of pieces `start..<index` (measuring `size`) once piece `index` joins them.
    private func adding(_ index: Int, to start: Int, _ size: Size) -> Size {
        let piece = pieces[index]
        guard index > start else { return Size(tokens: piece.tokens, bytes: piece.bytes) }
        let separatorTokens = piece.startsParagraph ? chunker.paragraphBreakTokens : chunker.wordBreakTokens
        let separatorBytes = piece.startsParagraph ? 2 : 1
        return Size(tokens: size.tokens + separatorTokens + piece.tokens, bytes: size.bytes + separatorBytes + piece.bytes)
    }

    /// Whether piece `index` fits after pieces `start..<index` (measuring `size`); any piece
    /// fits in an empty chunk.
    private func fits(_ index: Int, after start: Int, _ size: Size) -> Bool {
        guard index > start else { return true }
        let joined = adding(index, to: start, size)
        return joined.tokens <= chunker.maxTokens && joined.bytes <= chunker.maxBytes
    }

    private func measure(_ range: Range<Int>) -> Size {
        var size = Size()
        for index in range { size = adding(index, to: range.lowerBound, size) }
        return size
    }

    /// The first of the last pieces before `end` (none before `start`) that fit in the overlap,
    /// by tokens and by bytes; `end` when none does.
    private func overlapStart(before end: Int, notBefore start: Int) -> Int {
        var first = end
        var tokens = 0
        var bytes = 0
        while first > start {
            let piece = pieces[first - 1]
            guard tokens + piece.tokens <= chunker.overlapTokens, bytes + piece.bytes <= chunker.overlapBytes else { break }
            tokens += piece.tokens
            bytes += piece.bytes
            first -= 1
        }
        return first
    }

    /// Adds the chunk of pieces `range`, counted whole. When the counter finds more tokens
    /// than the estimate allowed (a counter whose joins are not additive, such as bytes
    /// divided by four), the range is split in halves until each fits or is one piece.
    private mutating func emit(_ range: Range<Int>) throws {
        let text = joined(range)
        let tokens = chunker.countTokens(text)
        guard tokens > chunker.maxTokens, range.count > 1 else {
            chunks.append(TextChunker.Chunk(text: text, tokenCount: tokens))
            return
        }
        try checkpoint.pass()
        let middle = range.lowerBound + range.count / 2
        try emit(range.lowerBound..<middle)
        try emit(middle..<range.upperBound)
    }

    private func joined(_ range: Range<Int>) -> String {
        var text = ""
        text.reserveCapacity(measure(range).bytes)
        for index in range {
            if index > range.lowerBound { text += pieces[index].startsParagraph ? "\n\n" : " " }
            text += pieces[index].text
        }
        return text
    }
}
