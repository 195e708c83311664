/// Splits a document into chunks that fit the embedding model's window, on paragraph and
/// sentence boundaries, with a small overlap so a fact cut at a boundary is still whole in
/// one chunk.
///
/// Paragraphs are kept together when they fit; a paragraph too long for one chunk is split
/// into sentences; a sentence too long is split into words; a word too long is cut. The
/// last `overlapTokens` worth of sentences of a chunk start the next one.
public struct TextChunker: Sendable {
    /// Most tokens in a chunk, counting only the text (the model adds `[CLS]`/`[SEP]`).
    public let maxTokens: Int
    public let overlapTokens: Int
    private let countTokens: @Sendable (String) -> Int

    public init(maxTokens: Int = 254, overlapTokens: Int = 32, countTokens: @escaping @Sendable (String) -> Int) {
        self.maxTokens = max(8, maxTokens)
        self.overlapTokens = min(max(0, overlapTokens), self.maxTokens / 4)
        self.countTokens = countTokens
    }

    public struct Chunk: Sendable, Equatable {
        public var text: String
        public var tokenCount: Int
    }

    public func chunks(of text: String) -> [Chunk] {
        let pieces = Self.paragraphs(of: text).flatMap(pieces(ofParagraph:))
        return assemble(pieces)
    }

    /// A paragraph as pieces that each fit: itself, or its sentences, or word runs.
    private func pieces(ofParagraph paragraph: String) -> [Piece] {
        let tokens = countTokens(paragraph)
        if tokens <= maxTokens { return [Piece(text: paragraph, tokens: tokens, startsParagraph: true)] }
        var result = [Piece]()
        for (index, sentence) in Self.sentences(of: paragraph).enumerated() {
            let count = countTokens(sentence)
            let split = count <= maxTokens ? [Piece(text: sentence, tokens: count)] : wordRuns(of: sentence)
            for (offset, var piece) in split.enumerated() {
                piece.startsParagraph = index == 0 && offset == 0
                result.append(piece)
            }
        }
        return result
    }

    private func wordRuns(of sentence: String) -> [Piece] {
        var runs = [Piece]()
        var current = [Substring]()
        for word in sentence.split(whereSeparator: \.isWhitespace) {
            let candidate = (current + [word]).joined(separator: " ")
            if !current.isEmpty, countTokens(candidate) > maxTokens {
                let text = current.joined(separator: " ")
                runs.append(Piece(text: text, tokens: countTokens(text)))
                current = [word]
            } else {
                current.append(word)
            }
            if current.count == 1, countTokens(String(word)) > maxTokens {
                runs.append(contentsOf: cut(String(word)))
                current = []
            }
        }
        if !current.isEmpty {
            let text = current.joined(separator: " ")
            runs.append(Piece(text: text, tokens: countTokens(text)))
        }
        return runs
    }

    /// A single word longer than a chunk (a URL, base64…): cut by characters.
    private func cut(_ word: String) -> [Piece] {
        var pieces = [Piece]()
        var rest = Substring(word)
        while !rest.isEmpty {
            var length = min(rest.count, maxTokens)
            while length > 1, countTokens(String(rest.prefix(length))) > maxTokens { length /= 2 }
            let piece = String(rest.prefix(length))
            pieces.append(Piece(text: piece, tokens: countTokens(piece)))
            rest = rest.dropFirst(length)
        }
        return pieces
    }

    /// Packs pieces into chunks, carrying the tail of each chunk into the next.
    private func assemble(_ pieces: [Piece]) -> [Chunk] {
        var chunks = [Chunk]()
        var current = [Piece]()
        var hasNewText = false
        // +1 per piece leaves room for the separator between pieces.
        func size(_ pieces: [Piece]) -> Int { pieces.reduce(0) { $0 + $1.tokens + 1 } }
        for piece in pieces {
            if hasNewText, size(current) + piece.tokens + 1 > maxTokens {
                chunks.append(chunk(current))
                current = overlapTail(of: current)
                hasNewText = false
            }
            if size(current) + piece.tokens + 1 > maxTokens { current = [] }
            current.append(piece)
            hasNewText = true
        }
        if hasNewText { chunks.append(chunk(current)) }
        return chunks
    }

    private func chunk(_ pieces: [Piece]) -> Chunk {
        let text = Self.join(pieces)
        return Chunk(text: text, tokenCount: countTokens(text))
    }

    /// The last pieces of a chunk that fit in the overlap.
    private func overlapTail(of pieces: [Piece]) -> [Piece] {
        var tail = [Piece]()
        var tokens = 0
        for piece in pieces.reversed() {
            guard tokens + piece.tokens <= overlapTokens else { break }
            tail.insert(piece, at: 0)
            tokens += piece.tokens
        }
        return tail
    }

    private static func join(_ pieces: [Piece]) -> String {
        var text = ""
        for piece in pieces {
            if !text.isEmpty { text += piece.startsParagraph ? "\n\n" : " " }
            text += piece.text
        }
        return text
    }

    static func paragraphs(of text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n", with: "\n")
            .components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }

    /// Sentences end at `.`, `!`, `?` (and their CJK forms) followed by whitespace, or at
    /// a line break.
    static func sentences(of paragraph: String) -> [String] {
        var sentences = [String]()
        var current = ""
        var previousEnds = false
        for character in paragraph {
            if character == "\n" || (previousEnds && character.isWhitespace) {
                let trimmed = current.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { sentences.append(trimmed) }
                current = ""
                previousEnds = false
                continue
            }
            current.append(character)
            previousEnds = ".!?。！？".contains(character)
        }
        let trimmed = current.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty { sentences.append(trimmed) }
        return sentences
    }

    private struct Piece {
        var text: String
        var tokens: Int
        var startsParagraph = false
    }
}
