@_spi(Testing) import Embedding
import Testing

/// The vectorised kernels exist per instruction set (AVX-512, AVX2+FMA, baseline); the CPU
/// running the tests picks one, so force each one it supports and check them all.
@Suite("Kernels on every instruction set the CPU has", .serialized)
struct KernelPathTests {
    @Test(arguments: KernelInstructionSet.allCases)
    func goldenCasesMatchOnEveryKernelPath(_ instructionSet: KernelInstructionSet) async throws {
        let available = KernelInstructionSet.current
        defer { KernelInstructionSet.force(nil) }
        KernelInstructionSet.force(instructionSet)
        let used = KernelInstructionSet.current
        #expect(used.rawValue == min(instructionSet.rawValue, available.rawValue))
        // Every fourth case and the long ones: the baseline path is slow in a debug build.
        let cases = GoldenCase.all.filter { $0.id % 4 == 0 || $0.truncated }
        let vectors = try await TestResources.sharedEmbedder().embed(cases.map(\.text))
        for (vector, golden) in zip(vectors, cases) {
            #expect(VectorMath.agree(vector, golden.embedding), "case \(golden.id) with \(used)")
        }
        let query = try await TestResources.sharedEmbedder().embed(cases[0].text)
        #expect(VectorMath.agree(query, cases[0].embedding))
    }
}
