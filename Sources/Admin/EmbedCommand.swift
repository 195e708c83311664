import ArgumentParser
import Settings
import Core
import Embedding
import Foundation

/// `context0-admin embed [TEXT…]`: one JSON line per text, `{"text", "token_ids", "embedding"}`,
/// with the configured embedder (`EMBEDDER`, `MINILM_MODEL_DIR`, `EMBEDDINGS_*`). Without
/// arguments it reads texts one per line from standard input.
struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Print the embedding (and token ids) of each text as a JSON line.")

    @Argument(help: "Texts to embed; none means one per line on standard input.") var texts: [String] = []

    func run() async throws {
        let configuration: EmbeddingConfiguration
        let embedder: any Embedder
        do {
            configuration = try EmbeddingConfiguration(environment: ProcessInfo.processInfo.environment, projectRoot: ProjectLayout.dependenciesRoot)
            embedder = try EmbedderFactory.makeEmbedder(configuration)
        } catch {
            throw AdminError("cannot load the embedder: \(error)")
        }
        let input = texts.isEmpty ? Self.standardInputLines() : texts
        // Batches keep memory flat for long inputs while still using the batched path.
        for start in stride(from: 0, to: input.count, by: 32) {
            let batch = Array(input[start..<min(start + 32, input.count)])
            for record in try await EmbeddingRecord.records(for: batch, using: embedder) {
                print(record.jsonLine())
            }
        }
    }

    static func standardInputLines() -> [String] {
        var lines = [String]()
        while let line = readLine(strippingNewline: true) { lines.append(line) }
        return lines
    }
}
