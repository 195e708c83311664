import Embedding
import Foundation
import Testing

/// Paths and shared objects for the embedding tests.
enum TestResources {
    /// The package (repository) root: this file is `<root>/Tests/EmbeddingTests/TestResources.swift`.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/fixtures` next to the repository.
    static let fixturesDirectory = packageRoot.appendingPathComponent("../shared/fixtures").standardized

    /// The model folder the project's set-up provides, or `MINILM_MODEL_DIR`.
    static var modelDirectory: String {
        let configuration = try? EmbeddingConfiguration(
            environment: ProcessInfo.processInfo.environment, projectRoot: packageRoot.path
        )
        return configuration?.modelDirectory ?? EmbeddingConfiguration.defaultModelDirectory(projectRoot: packageRoot.path)
    }

    /// One native embedder shared by all tests (loading is cheap, but each has its threads).
    static let embedder: Result<MiniLMEmbedder, any Error> = Result {
        try MiniLMEmbedder(modelDirectory: modelDirectory, threads: 2)
    }

    static func sharedEmbedder() throws -> MiniLMEmbedder {
        try embedder.get()
    }
}

/// One line of `minilm-golden.jsonl`.
struct GoldenCase: Decodable, Sendable, CustomTestStringConvertible {
    var id: Int
    var note: String
    var text: String
    var tokenIDs: [Int]
    var truncated: Bool
    var numTokensUntruncated: Int
    var embedding: [Float]

    enum CodingKeys: String, CodingKey {
        case id, note, text, truncated, embedding
        case tokenIDs = "token_ids"
        case numTokensUntruncated = "num_tokens_untruncated"
    }

    var testDescription: String { "case \(id): \(note)" }

    /// All cases, or none when the fixture file is missing (a separate test then fails).
    static let all: [GoldenCase] = (try? load()) ?? []

    static func load() throws -> [GoldenCase] {
        let url = TestResources.fixturesDirectory.appendingPathComponent("minilm-golden.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try JSONDecoder().decode(GoldenCase.self, from: Data(line.utf8))
        }
    }
}

/// Comparison helpers for vectors.
enum VectorMath {
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, normA = 0.0, normB = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            normA += Double(x) * Double(x)
            normB += Double(y) * Double(y)
        }
        return dot / (normA.squareRoot() * normB.squareRoot())
    }

    static func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    static func norm(_ a: [Float]) -> Double {
        a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// Whether two embeddings agree within the golden tolerance.
    static func agree(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && cosine(a, b) >= 0.9999 && maxAbsoluteDifference(a, b) <= 1e-4
    }
}
