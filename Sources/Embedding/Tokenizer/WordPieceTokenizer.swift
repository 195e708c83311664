/// BERT's uncased WordPiece tokenizer, as `sentence-transformers` runs it for all-MiniLM-L6-v2:
/// BERT normalisation, split on whitespace and punctuation, greedy longest-match WordPiece with
/// `##` continuations, `[UNK]` for words it cannot cover or longer than 100 characters, and
/// `[CLS] … [SEP]` around the result, truncated to `maxLength` tokens with `[SEP]` kept last.
public struct WordPieceTokenizer: Sendable {
    /// Words with more characters than this become a single `[UNK]`.
    public static let maxCharactersPerWord = 100

    /// The default (and the model's) maximum sequence length, `[CLS]` and `[SEP]` included.
    public let maxLength: Int
    public let clsID: Int
    public let sepID: Int
    public let unknownID: Int
    public let paddingID: Int
    /// The number of entries in the vocabulary.
    public var vocabularySize: Int { vocabulary.count }

    private let vocabulary: Vocabulary
    private let continuationRoot: Int32?

    /// Loads the vocabulary from a `vocab.txt` file (one token per line).
    public init(vocabularyFile path: String, maxLength: Int = 256) throws {
        try self.init(vocabulary: Vocabulary(contentsOf: path), maxLength: maxLength, source: path)
    }

    /// Builds a tokenizer from the vocabulary's tokens in id order.
    public init(tokens: [String], maxLength: Int = 256) throws {
        try self.init(vocabulary: Vocabulary(tokens: tokens), maxLength: maxLength, source: "<tokens>")
    }

    private init(vocabulary: Vocabulary, maxLength: Int, source: String) throws {
        func special(_ token: String) throws -> Int {
            guard let id = vocabulary.id(of: token) else {
                throw EmbeddingError.modelFileCorrupt(path: source, reason: "vocabulary has no \(token) token")
            }
            return id
        }
        guard maxLength >= 2 else {
            throw EmbeddingError.invalidConfiguration("maximum sequence length must be at least 2")
        }
        self.vocabulary = vocabulary
        self.maxLength = maxLength
        clsID = try special("[CLS]")
        sepID = try special("[SEP]")
        unknownID = try special("[UNK]")
        paddingID = try special("[PAD]")
        continuationRoot = vocabulary.node(after: "##")
    }

    /// The ids the model sees for `text`: `[CLS]`, at most `maxLength - 2` word pieces, `[SEP]`.
    public func encode(_ text: String) -> [Int] {
        var ids = [clsID]
        ids.reserveCapacity(min(maxLength, text.utf8.count + 2))
        appendWordPieces(of: text, to: &ids, limit: maxLength - 1)
        ids.append(sepID)
        return ids
    }

    /// The word-piece ids of `text` without `[CLS]`/`[SEP]` and without truncation.
    public func wordPieceIDs(_ text: String) -> [Int] {
        var ids: [Int] = []
        appendWordPieces(of: text, to: &ids, limit: .max)
        return ids
    }

    /// How many tokens `text` has with `[CLS]` and `[SEP]`, before truncation; the number a
    /// chunker compares with `maxLength`.
    public func tokenCount(_ text: String) -> Int {
        wordPieceIDs(text).count + 2
    }

    /// Appends word pieces until `ids` holds `limit` entries.
    private func appendWordPieces(of text: String, to ids: inout [Int], limit: Int) {
        let scalars = BertNormalizer.normalize(text)
        scalars.withUnsafeBufferPointer { buffer in
            var wordStart: Int?
            for index in 0..<buffer.count where ids.count < limit {
                let scalar = buffer[index]
                if BertNormalizer.isWhitespace(scalar) {
                    if let start = wordStart { appendWord(buffer, start..<index, to: &ids) }
                    wordStart = nil
                } else if BertNormalizer.isPunctuation(scalar) {
                    if let start = wordStart { appendWord(buffer, start..<index, to: &ids) }
                    wordStart = nil
                    if ids.count < limit { appendWord(buffer, index..<(index + 1), to: &ids) }
                } else if wordStart == nil {
                    wordStart = index
                }
            }
            if let start = wordStart, ids.count < limit {
                appendWord(buffer, start..<buffer.count, to: &ids)
            }
        }
        if ids.count > limit { ids.removeLast(ids.count - limit) }
    }

    /// Greedy longest-match-first WordPiece over one word; the whole word is `[UNK]` when any
    /// part of it cannot be matched.
    private func appendWord(
        _ scalars: UnsafeBufferPointer<Unicode.Scalar>, _ range: Range<Int>, to ids: inout [Int]
    ) {
        guard range.count <= Self.maxCharactersPerWord else {
            ids.append(unknownID)
            return
        }
        let firstPiece = ids.count
        var start = range.lowerBound
        let word = UnsafeBufferPointer(rebasing: scalars[..<range.upperBound])
        while start < range.upperBound {
            let root = start == range.lowerBound ? Vocabulary.root : continuationRoot
            guard let root, let match = vocabulary.longestMatch(in: word, from: start, startingAt: root) else {
                ids.removeLast(ids.count - firstPiece)
                ids.append(unknownID)
                return
            }
            ids.append(match.id)
            start = match.end
        }
    }
}
