/// One text with its token ids (native model only) and embedding: a line of
/// `context0-admin embed`'s output.
public struct EmbeddingRecord: Codable, Sendable, Equatable {
    public var text: String
    /// The ids fed to the model, `[CLS]` … `[SEP]`; nil for a remote embedder.
    public var tokenIDs: [Int]?
    public var embedding: [Float]

    enum CodingKeys: String, CodingKey {
        case text
        case tokenIDs = "token_ids"
        case embedding
    }

    public init(text: String, tokenIDs: [Int]?, embedding: [Float]) {
        self.text = text
        self.tokenIDs = tokenIDs
        self.embedding = embedding
    }

    /// Embeds `texts` in one batch and pairs each with its token ids when `embedder` has them.
    public static func records(for texts: [String], using embedder: any Embedder) async throws -> [EmbeddingRecord] {
        let vectors = try await embedder.embed(texts)
        let tokenizing = embedder as? any TokenizingEmbedder
        return zip(texts, vectors).map { text, vector in
            EmbeddingRecord(text: text, tokenIDs: tokenizing?.tokenIDs(for: text), embedding: vector)
        }
    }

    /// `{"text": …, "token_ids": […], "embedding": […]}` on one line, keys in that order
    /// (`token_ids` is `null` for a remote embedder); floats print in their shortest exact form.
    public func jsonLine() -> String {
        var line = "{\"text\": "
        Self.appendJSONString(text, to: &line)
        line += ", \"token_ids\": "
        line += tokenIDs.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? "null"
        line += ", \"embedding\": ["
        line += embedding.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ", ")
        line += "]}"
        return line
    }

    private static func appendJSONString(_ string: String, to output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
