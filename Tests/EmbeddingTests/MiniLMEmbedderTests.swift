import Embedding
import Foundation
import Testing

@Suite("Native MiniLM embedder")
struct MiniLMEmbedderTests {
    @Test func reportsNameAndDimension() throws {
        let embedder = try TestResources.sharedEmbedder()
        #expect(embedder.modelName == "all-MiniLM-L6-v2")
        #expect(embedder.dimension == 384)
    }

    @Test func emptyBatchGivesNoVectors() async throws {
        #expect(try await TestResources.sharedEmbedder().embed([String]()).isEmpty)
    }

    @Test func emptyAndWhitespaceTextsGiveTheSameUnitVector() async throws {
        let vectors = try await TestResources.sharedEmbedder().embed(["", " ", "\t\n  \r\n"])
        for vector in vectors {
            #expect(abs(VectorMath.norm(vector) - 1) < 1e-5)
            #expect(VectorMath.agree(vector, vectors[0]))
        }
        let golden = try #require(GoldenCase.all.first { $0.text.isEmpty })
        #expect(VectorMath.agree(vectors[0], golden.embedding))
    }

    @Test func textFarOver256TokensEmbedsLikeItsFirst254Pieces() async throws {
        let embedder = try TestResources.sharedEmbedder()
        let words = ["river", "stone", "light", "garden", "music", "paper", "window", "city", "north", "green"]
        let long = (0..<3000).map { words[$0 * 7 % words.count] }.joined(separator: " ")
        let prefix = (0..<254).map { words[$0 * 7 % words.count] }.joined(separator: " ")
        #expect(embedder.tokenIDs(for: long) == embedder.tokenIDs(for: prefix))
        let vectors = try await embedder.embed([long, prefix])
        #expect(VectorMath.agree(vectors[0], vectors[1]))
    }

    @Test func concurrentCallsFromManyTasksGiveTheSameResults() async throws {
        let embedder = try TestResources.sharedEmbedder()
        let cases = GoldenCase.all
        try #require(!cases.isEmpty)
        let results = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for task in 0..<40 {
                let texts = [cases[task % cases.count].text, cases[(task * 7 + 3) % cases.count].text]
                group.addTask { (task, try await embedder.embed(texts)) }
            }
            return try await group.reduce(into: [Int: [[Float]]]()) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 40)
        for (task, vectors) in results {
            #expect(VectorMath.agree(vectors[0], cases[task % cases.count].embedding), "task \(task)")
            #expect(VectorMath.agree(vectors[1], cases[(task * 7 + 3) % cases.count].embedding), "task \(task)")
        }
    }

    @Test func recordsCarryTokenIDsAndPrintAsOneJSONLine() async throws {
        let embedder = try TestResources.sharedEmbedder()
        let records = try await EmbeddingRecord.records(for: ["Hello, world!", "say \"hi\"\n"], using: embedder)
        #expect(records.count == 2)
        #expect(records[0].tokenIDs == embedder.tokenIDs(for: "Hello, world!"))
        let line = records[1].jsonLine()
        #expect(line.hasPrefix("{\"text\": \"say \\\"hi\\\"\\n\", \"token_ids\": [101, "))
        #expect(!line.contains("\n"))
        let decoded = try JSONDecoder().decode(EmbeddingRecord.self, from: Data(line.utf8))
        #expect(decoded == records[1])
    }
}
