/// How LLM extraction fits a conversation into prompts of bounded size: statements go into
/// batches, each sent as one `- statement` line per statement, whose text stays within a
/// budget of characters; a statement longer than a batch can hold is split into pieces,
/// preferably after a sentence, else at a space, else anywhere.
public enum ExtractionBatches {
    /// Characters a statement costs beyond its own: `- ` before it, a newline after it.
    static let lineOverhead = 3
    /// The least a batch is given, however small the budget left by the instructions.
    static let minimumBudget = 200

    /// `statements` in order, as batches whose `lines` text is at most `budget` characters
    /// (`minimumBudget` when it is smaller).
    public static func batches(of statements: [String], budget: Int) -> [[String]] {
        let budget = max(budget, minimumBudget)
        var batches = [[String]]()
        var current = [String]()
        var used = 0
        for statement in statements {
            for piece in pieces(of: statement[...], limit: budget - lineOverhead) {
                let cost = piece.count + lineOverhead
                if !current.isEmpty, used + cost > budget {
                    batches.append(current)
                    current = []
                    used = 0
                }
                current.append(String(piece))
                used += cost
            }
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    /// The user message of a batch: one `- statement` line each.
    public static func lines(_ batch: [String]) -> String {
        batch.map { "- \($0)" }.joined(separator: "\n")
    }

    /// `text` in pieces of at most `limit` characters, without the whitespace between them.
    /// Linear in the length of `text`: a document line can be two million characters.
    static func pieces(of text: Substring, limit: Int) -> [Substring] {
        var pieces = [Substring]()
        var rest = text.drop(while: \.isWhitespace)
        while let end = rest.index(rest.startIndex, offsetBy: limit, limitedBy: rest.endIndex), end < rest.endIndex {
            let cut = breakPoint(in: rest[..<end]) ?? end
            pieces.append(rest[..<cut])
            rest = rest[cut...].drop(while: \.isWhitespace)
        }
        if !rest.isEmpty { pieces.append(rest) }
        return pieces
    }

    /// Just after the last sentence end in the second half of `window`, else at its last
    /// whitespace there; nil when there is neither (cut at the window's end). The second half
    /// only, so no piece is much shorter than the limit.
    static func breakPoint(in window: Substring) -> Substring.Index? {
        let middle = window.index(window.startIndex, offsetBy: max(1, window.count / 2))
        let tail = window[middle...]
        if let end = tail.lastIndex(where: { ".!?".contains($0) }) { return window.index(after: end) }
        return tail.lastIndex(where: \.isWhitespace)
    }
}
