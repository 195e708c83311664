import Foundation

/// A WordPiece vocabulary stored as a trie over Unicode scalars, so that the longest
/// vocabulary entry at a position is found in one pass, without building substrings.
struct Vocabulary: Sendable {
    /// Edges keyed by `node << 32 | scalar`.
    private var edges: [UInt64: Int32] = [:]
    /// The token id that ends at each node, or -1.
    private var tokenIDs: [Int32] = [-1]
    private(set) var count = 0

    static let root: Int32 = 0

    /// Reads `vocab.txt`: one token per line, the line number (from 0) being its id.
    init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmbeddingError.modelFileMissing(path: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EmbeddingError.modelFileCorrupt(path: path, reason: "not UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        self.init(tokens: lines.map(String.init))
    }

    /// Builds the trie; a token listed twice keeps its later id, as `BertTokenizer` does.
    init(tokens: [String]) {
        edges.reserveCapacity(tokens.count * 4)
        for (id, token) in tokens.enumerated() {
            var node = Self.root
            for scalar in token.unicodeScalars {
                node = child(of: node, scalar)
            }
            tokenIDs[Int(node)] = Int32(id)
        }
        count = tokens.count
    }

    /// The id of a whole token, or nil.
    func id(of token: String) -> Int? {
        var node = Self.root
        for scalar in token.unicodeScalars {
            guard let next = edges[Self.key(node, scalar)] else { return nil }
            node = next
        }
        let id = tokenIDs[Int(node)]
        return id < 0 ? nil : Int(id)
    }

    /// The node reached by following `prefix` from the root (e.g. `##`), or nil.
    func node(after prefix: String) -> Int32? {
        var node = Self.root
        for scalar in prefix.unicodeScalars {
            guard let next = edges[Self.key(node, scalar)] else { return nil }
            node = next
        }
        return node
    }

    /// The longest vocabulary entry spelled by `scalars[start...]` when starting at `node`:
    /// its id and the index just after it, or nil when no entry matches.
    func longestMatch(
        in scalars: UnsafeBufferPointer<Unicode.Scalar>, from start: Int, startingAt node: Int32
    ) -> (id: Int, end: Int)? {
        var node = node
        var best: (id: Int, end: Int)?
        var index = start
        while index < scalars.count, let next = edges[Self.key(node, scalars[index])] {
            node = next
            index += 1
            let id = tokenIDs[Int(node)]
            if id >= 0 { best = (Int(id), index) }
        }
        return best
    }

    /// The child of `node` along `scalar`, added when missing.
    private mutating func child(of node: Int32, _ scalar: Unicode.Scalar) -> Int32 {
        let key = Self.key(node, scalar)
        if let existing = edges[key] { return existing }
        let new = Int32(tokenIDs.count)
        tokenIDs.append(-1)
        edges[key] = new
        return new
    }

    private static func key(_ node: Int32, _ scalar: Unicode.Scalar) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 32 | UInt64(scalar.value)
    }
}
