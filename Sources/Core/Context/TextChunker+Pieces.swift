/// Cuts a document into pieces that each fit in a chunk, a level at a time: a paragraph that
/// fits is a piece, else its sentences are; a sentence that does not fit becomes its words; a
/// word that does not fit is cut into fragments.
///
/// Linear whatever the text: each level is one pass over its span, and a span is counted only
/// when it has at most `maxBytes` bytes (a longer one cannot fit and goes down a level
/// uncounted), so every byte reaches the counter at most three times as a paragraph, sentence
/// and word, plus a few times as a fragment (see `cutFragments`).
struct PieceCutter {
    let chunker: TextChunker
    let text: UTF8Text
    private(set) var checkpoint: CancellationCheckpoint
    private(set) var pieces: [ChunkPiece] = []
    /// Bytes to try for the next fragment of a word too long for a chunk, learnt from the
    /// fragment before, so a run of fragments costs about one count each.
    private var fragmentGuess: Int

    init(chunker: TextChunker, text: UTF8Text, checkpoint: CancellationCheckpoint) {
        self.chunker = chunker
        self.text = text
        self.checkpoint = checkpoint
        fragmentGuess = chunker.maxBytes
    }

    /// Cuts the whole text. Paragraphs are separated by lines of nothing but whitespace, and
    /// run from their first to their last non-whitespace scalar.
    mutating func cutParagraphs() throws {
        var offset = 0
        var paragraph: Range<Int>?
        var lineIsBlank = true
        while offset < text.endOffset {
            try checkpoint.pass()
            let (scalar, next) = text.decode(at: offset)
            if scalar == "\n" {
                if lineIsBlank, let found = paragraph {
                    try cut(paragraph: found)
                    paragraph = nil
                }
                lineIsBlank = true
            } else if !UTF8Text.isWhitespace(scalar) {
                paragraph = (paragraph?.lowerBound ?? offset)..<next
                lineIsBlank = false
            }
            offset = next
        }
        if let found = paragraph { try cut(paragraph: found) }
    }

    private mutating func cut(paragraph range: Range<Int>) throws {
        let first = pieces.count
        if range.count <= chunker.maxBytes {
            let paragraph = text.stringWithLineFeeds(range)
            let tokens = chunker.countTokens(paragraph)
            if tokens <= chunker.maxTokens {
                append(paragraph, tokens: tokens)
                pieces[first].startsParagraph = true
                return
            }
        }
        try cutSentences(in: range)
        if pieces.count > first { pieces[first].startsParagraph = true }
    }

    /// Sentences end at a line break, or where `SentenceSegmenter.endsSentence` says a
    /// terminator (`.`, `!`, `?` or a CJK form, with any closing quotes or brackets after it)
    /// that whitespace follows ends one, and are trimmed of whitespace. Linear: the word
    /// before a terminator is read at most `longestAbbreviationBytes` back, and the whitespace
    /// after one is looked across once more than the loop walks it.
    private mutating func cutSentences(in range: Range<Int>) throws {
        var offset = range.lowerBound
        var sentence: Range<Int>?
        var wordStart = offset
        var terminator: (scalar: Unicode.Scalar, offset: Int)?
        while offset < range.upperBound {
            try checkpoint.pass()
            let (scalar, next) = text.decode(at: offset)
            let isWhitespace = UTF8Text.isWhitespace(scalar)
            if scalar == "\n" || (isWhitespace && terminator.map { endsSentence(at: $0, wordStart: wordStart, whitespace: offset, end: range.upperBound) } == true) {
                if let found = sentence { try cut(sentence: found) }
                sentence = nil
            }
            if isWhitespace {
                terminator = nil
                wordStart = next
            } else {
                sentence = (sentence?.lowerBound ?? offset)..<next
                if UTF8Text.endsSentence(scalar) {
                    terminator = terminator ?? (scalar, offset)
                } else if terminator != nil, !UTF8Text.closesSentence(scalar) {
                    terminator = nil
                }
            }
            offset = next
        }
        if let found = sentence { try cut(sentence: found) }
    }

    /// Longer words are not abbreviations or initials, so only this much of one is read.
    static let longestAbbreviationBytes = 16

    private func endsSentence(at terminator: (scalar: Unicode.Scalar, offset: Int), wordStart: Int, whitespace: Int, end: Int) -> Bool {
        var after = whitespace
        var next: Unicode.Scalar?
        while after < end {
            let (scalar, following) = text.decode(at: after)
            if scalar == "\n" { break }
            if !UTF8Text.isWhitespace(scalar) {
                next = scalar
                break
            }
            after = following
        }
        let word = terminator.offset - wordStart <= Self.longestAbbreviationBytes
            ? text.string(wordStart..<terminator.offset)
            : ""  // longer than any abbreviation or initial
        return SentenceSegmenter.endsSentence(terminator: terminator.scalar, word: word, next: next)
    }

    private mutating func cut(sentence range: Range<Int>) throws {
        if range.count <= chunker.maxBytes {
            let sentence = text.string(range)
            let tokens = chunker.countTokens(sentence)
            if tokens <= chunker.maxTokens {
                append(sentence, tokens: tokens)
                return
            }
        }
        try cutWords(in: range)
    }

    /// Each word of a sentence too long for a chunk is a piece of its own (chunks join them
    /// with spaces, and overlap by words); a word too long for a chunk is cut.
    private mutating func cutWords(in range: Range<Int>) throws {
        var offset = range.lowerBound
        while let word = text.nextWord(from: &offset, before: range.upperBound) {
            try checkpoint.pass()
            if word.count <= chunker.maxBytes {
                let wordText = text.string(word)
                let tokens = chunker.countTokens(wordText)
                if tokens <= chunker.maxTokens {
                    append(wordText, tokens: tokens)
                    continue
                }
            }
            try cutFragments(of: word)
        }
    }

    /// A word longer than a chunk (a URL, base64, text with no spaces at all) in fragments cut
    /// at scalar boundaries, each about as long as fits. The first try is as long as the
    /// fragment before scaled to a full chunk's tokens (at most twice as long); a try with too
    /// many tokens shrinks in proportion, by a quarter at least. So a fragment of regular text
    /// takes one count, and any fragment's counts add up to a few times its first try, itself
    /// at most twice the fragment before: linear however the tokens are spread.
    private mutating func cutFragments(of word: Range<Int>) throws {
        var start = word.lowerBound
        while start < word.upperBound {
            try checkpoint.pass()
            var end = fragmentEnd(from: start, bytes: fragmentGuess, limit: word.upperBound)
            var fragment = text.string(start..<end)
            var tokens = chunker.countTokens(fragment)
            while tokens > chunker.maxTokens {
                try checkpoint.pass()
                let length = end - start
                let shorter = min(length * chunker.maxTokens / tokens, length - max(1, length / 4))
                let shorterEnd = fragmentEnd(from: start, bytes: shorter, limit: end)
                // A single scalar with too many tokens cannot be cut: it stays whole.
                guard shorterEnd < end else { break }
                end = shorterEnd
                fragment = text.string(start..<end)
                tokens = chunker.countTokens(fragment)
            }
            append(fragment, tokens: tokens)
            // The end of a word says nothing about how long a fragment can be.
            if end < word.upperBound { fragmentGuess = nextFragmentGuess(bytes: end - start, tokens: tokens) }
            start = end
        }
    }

    /// Where a fragment of about `bytes` from `start` ends: at a scalar boundary, not after
    /// `limit` (itself a boundary), and after at least one scalar.
    private func fragmentEnd(from start: Int, bytes: Int, limit: Int) -> Int {
        let end = text.scalarBoundary(atOrBefore: min(start + max(bytes, 0), limit))
        return end > start ? end : text.decode(at: start).next
    }

    /// A fragment's length scaled to a full chunk's tokens, within twice its length and
    /// `maxBytes`.
    private func nextFragmentGuess(bytes: Int, tokens: Int) -> Int {
        let limit = min(chunker.maxBytes, 2 * bytes)
        guard tokens > 0 else { return limit }
        return min(limit, max(1, bytes * chunker.maxTokens / tokens))
    }

    private mutating func append(_ text: String, tokens: Int) {
        pieces.append(ChunkPiece(text: text, tokens: tokens, bytes: text.utf8.count))
    }
}
