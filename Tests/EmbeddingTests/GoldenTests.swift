import Embedding
import Testing

@Suite("MiniLM against the golden fixtures")
struct GoldenTests {
    @Test func fixtureFileHasAll45Cases() throws {
        #expect(try GoldenCase.load().count == 45)
    }

    @Test(arguments: GoldenCase.all)
    func tokenIDsMatchExactly(_ golden: GoldenCase) throws {
        let embedder = try TestResources.sharedEmbedder()
        #expect(embedder.tokenIDs(for: golden.text) == golden.tokenIDs)
        #expect(embedder.tokenizer.tokenCount(golden.text) == golden.numTokensUntruncated)
    }

    @Test(arguments: GoldenCase.all)
    func embeddingMatchesWithinTolerance(_ golden: GoldenCase) async throws {
        let embedder = try TestResources.sharedEmbedder()
        let vector = try await embedder.embed(golden.text)
        #expect(vector.count == 384)
        let cosine = VectorMath.cosine(vector, golden.embedding)
        let difference = VectorMath.maxAbsoluteDifference(vector, golden.embedding)
        #expect(cosine >= 0.9999, "cosine \(cosine)")
        #expect(cosine >= 0.999999, "float32 should reach 0.999999, got \(cosine)")
        #expect(difference <= 1e-4, "max |diff| \(difference)")
    }

    @Test func worstCaseIsWellInsideTheTolerance() async throws {
        let cases = GoldenCase.all
        let vectors = try await TestResources.sharedEmbedder().embed(cases.map(\.text))
        let cosines = zip(vectors, cases).map { VectorMath.cosine($0, $1.embedding) }
        let differences = zip(vectors, cases).map { VectorMath.maxAbsoluteDifference($0, $1.embedding) }
        let worstCosine = cosines.min() ?? 0, worstDifference = differences.max() ?? 1
        print("golden: \(cases.count) cases, min cosine \(worstCosine), max |diff| \(worstDifference)")
        #expect(worstCosine >= 0.999999)
        #expect(worstDifference <= 1e-4)
    }

    @Test func batchedAndOneAtATimeAgree() async throws {
        let embedder = try TestResources.sharedEmbedder()
        let texts = GoldenCase.all.map(\.text)
        let batched = try await embedder.embed(texts)
        #expect(batched.count == texts.count)
        for (index, text) in texts.enumerated() {
            let single = try await embedder.embed(text)
            #expect(VectorMath.agree(batched[index], single), "case \(index)")
            #expect(VectorMath.agree(batched[index], GoldenCase.all[index].embedding), "case \(index)")
        }
    }
}
