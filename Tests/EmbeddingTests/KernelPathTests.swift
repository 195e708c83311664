@_spi(Testing) import Embedding
import Foundation
import Testing

/// The vectorised kernels exist per instruction set (AVX-512, AVX2+FMA, baseline); the CPU
/// running the tests picks one, so force each one it supports and check them all, for both
/// ways of computing the matrix products (the packed kernels and the BLAS fallback).
@Suite("Kernels on every instruction set the CPU has", .serialized)
struct KernelPathTests {
    /// One embedder per way of computing the matrix products (each packs or maps its weights once).
    static let embedders: [MatrixProducts: Result<MiniLMEmbedder, any Error>] = Dictionary(
        uniqueKeysWithValues: MatrixProducts.allCases.map { products in
            (products, Result { try MiniLMEmbedder(modelDirectory: TestResources.modelDirectory, threads: 2, matrixProducts: products) })
        }
    )

    @Test func machineChoosesThePackedKernelsWhereTheyAreFast() throws {
        #if arch(x86_64)
        let expected: MatrixProducts = KernelInstructionSet.supported == .baseline ? .blas : .packed
        #else
        let expected = MatrixProducts.blas
        #endif
        #expect(MatrixProducts.automatic == expected)
        #expect(try TestResources.sharedEmbedder().matrixProducts == expected)
    }

    @Test(arguments: MatrixProducts.allCases, KernelInstructionSet.allCases)
    func goldenCasesMatchOnEveryKernelPath(_ products: MatrixProducts, _ instructionSet: KernelInstructionSet) async throws {
        let embedder = try #require(Self.embedders[products]).get()
        #expect(embedder.matrixProducts == products)
        let available = KernelInstructionSet.supported
        defer { KernelInstructionSet.force(nil) }
        KernelInstructionSet.force(instructionSet)
        let used = KernelInstructionSet.current
        #expect(used.rawValue == min(instructionSet.rawValue, available.rawValue))
        // Every fourth case and the long ones: the baseline path is slow in a debug build.
        let cases = GoldenCase.all.filter { $0.id % 4 == 0 || $0.truncated }
        let vectors = try await embedder.embed(cases.map(\.text))
        for (vector, golden) in zip(vectors, cases) {
            #expect(VectorMath.agree(vector, golden.embedding), "case \(golden.id) with \(used), \(products)")
            #expect(VectorMath.cosine(vector, golden.embedding) >= 0.9999)
            #expect(VectorMath.maxAbsoluteDifference(vector, golden.embedding) <= 1e-4)
        }
        // A single short text takes the query path: few rows, the pass shared by the threads.
        for golden in cases.filter({ $0.tokenIDs.count <= 32 }).prefix(4) {
            let query = try await embedder.embed(golden.text)
            #expect(VectorMath.agree(query, golden.embedding), "query case \(golden.id) with \(used), \(products)")
        }
    }

    static let oneThread = Result { try MiniLMEmbedder(modelDirectory: TestResources.modelDirectory, threads: 1) }

    /// A single text's pass is split by output features over the free model threads
    /// (`SharedPass`), each feature computed exactly as in a batch: the vector is the same,
    /// bit for bit, on one thread, on two and in a batch.
    @Test(arguments: KernelInstructionSet.allCases)
    func aTextIsTheSameVectorOnOneThreadOnTwoAndInABatch(_ instructionSet: KernelInstructionSet) async throws {
        let alone = try Self.oneThread.get(), shared = try #require(Self.embedders[.packed]).get()
        defer { KernelInstructionSet.force(nil) }
        KernelInstructionSet.force(instructionSet)
        // Short queries, sentences, and texts of the full 256 tokens.
        let cases = GoldenCase.all.filter { $0.id % 9 == 0 || $0.truncated }.prefix(8)
        try #require(!cases.isEmpty)
        for golden in cases {
            let onOne = try await alone.embed([golden.text])[0]
            let onTwo = try await shared.embed([golden.text])[0]
            let inABatch = try await shared.embed([golden.text, "another text in the same pass"])[0]
            #expect(onOne == onTwo, "case \(golden.id) at \(KernelInstructionSet.current): one thread against two")
            #expect(onTwo == inABatch, "case \(golden.id) at \(KernelInstructionSet.current): shared pass against a batch")
            #expect(VectorMath.agree(onTwo, golden.embedding), "case \(golden.id)")
        }
    }

    /// `(rows, inFeatures, outFeatures)`: odd sizes around the tiles (6/12 rows), the 32-wide
    /// panels, the K blocks (384) and the L2 blocks of panels, and MiniLM's own shapes.
    static let linearShapes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 7, 5), (2, 3, 33), (5, 17, 31), (6, 16, 32), (7, 100, 97), (12, 384, 384),
        (13, 385, 65), (25, 1536, 40), (3, 384, 1536), (37, 800, 600), (10, 384, 1536), (61, 1536, 384),
        (256, 384, 384),
    ]

    @Test(arguments: KernelInstructionSet.allCases)
    func packedLinearMatchesANaiveLoop(_ instructionSet: KernelInstructionSet) {
        defer { KernelInstructionSet.force(nil) }
        KernelInstructionSet.force(instructionSet)
        for (rows, inFeatures, outFeatures) in Self.linearShapes {
            var random = SplitMix(seed: UInt64(rows * 1_000_003 + inFeatures * 1009 + outFeatures))
            let input = random.floats(rows * inFeatures), weight = random.floats(outFeatures * inFeatures)
            let output = random.floats(rows * outFeatures)
            let got = KernelChecks.linearPacked(input, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures, output: output)
            let (exact, bound) = Self.naiveLinear(input, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures, output: output)
            #expect(Self.worstExcess(got, exact, bound) <= 0, "packed \(rows)×\(inFeatures)→\(outFeatures) at \(KernelInstructionSet.current)")
            if inFeatures % 16 == 0 {
                let few = KernelChecks.linearFewRows(input, rows: rows, inFeatures: inFeatures, weight: weight, outFeatures: outFeatures, output: output)
                #expect(Self.worstExcess(few, exact, bound) <= 0, "few rows \(rows)×\(inFeatures)→\(outFeatures) at \(KernelInstructionSet.current)")
            }
        }
    }

    /// `(tokens, headSize, column, stride)`: MiniLM's heads (32 of 384) and odd ones.
    static let attentionShapes: [(Int, Int, Int, Int)] = [
        (1, 32, 0, 32), (3, 32, 64, 384), (10, 32, 352, 384), (33, 32, 32, 96), (256, 32, 160, 384),
        (7, 20, 3, 29), (70, 48, 10, 70), (5, 7, 0, 7), (41, 64, 64, 160), (17, 1, 2, 5),
    ]

    @Test(arguments: KernelInstructionSet.allCases)
    func attentionProductsMatchANaiveLoop(_ instructionSet: KernelInstructionSet) {
        defer { KernelInstructionSet.force(nil) }
        KernelInstructionSet.force(instructionSet)
        for (n, headSize, column, stride) in Self.attentionShapes {
            let label = "n=\(n) head=\(headSize) column=\(column) stride=\(stride) at \(KernelInstructionSet.current)"
            var random = SplitMix(seed: UInt64(n * 7919 + headSize * 31 + stride))
            let query = random.floats(n * stride), key = random.floats(n * stride), value = random.floats(n * stride)
            let scale = 1 / Float(headSize).squareRoot()

            let scores = KernelChecks.attentionScores(query: query, key: key, n: n, headSize: headSize, column: column, stride: stride, scale: scale)
            var exactScores = [Double](repeating: 0, count: n * n), scoreBounds = exactScores
            for i in 0..<n {
                for j in 0..<n {
                    for d in 0..<headSize {
                        let term = Double(scale) * Double(query[i * stride + column + d]) * Double(key[j * stride + column + d])
                        exactScores[i * n + j] += term
                        scoreBounds[i * n + j] += abs(term)
                    }
                }
            }
            #expect(Self.worstExcess(scores, exactScores, scoreBounds) <= 0, "scores \(label)")

            // Rows of probabilities (positive, summing to 1) as softmax leaves them.
            var probabilities = random.floats(n * n).map { abs($0) + 0.01 }
            for i in 0..<n {
                let sum = probabilities[(i * n)..<((i + 1) * n)].reduce(0, +)
                for j in 0..<n { probabilities[i * n + j] /= sum }
            }
            let before = random.floats(n * stride)
            let context = KernelChecks.attentionContext(
                probabilities: probabilities, value: value, n: n, headSize: headSize, column: column, stride: stride, context: before
            )
            var exact = before.map(Double.init), bounds = [Double](repeating: 0, count: n * stride)
            for i in 0..<n {
                for d in column..<(column + headSize) {
                    exact[i * stride + d] = 0
                    for j in 0..<n {
                        let term = Double(probabilities[i * n + j]) * Double(value[j * stride + d])
                        exact[i * stride + d] += term
                        bounds[i * stride + d] += abs(term)
                    }
                }
            }
            // Inside the head: P·V; outside it (other heads' columns): untouched, exactly.
            #expect(Self.worstExcess(context, exact, bounds) <= 0, "context \(label)")
        }
    }

    /// `output + input · weightᵀ` in double precision, and for each element the sum of the
    /// absolute terms (the scale of the rounding error).
    static func naiveLinear(
        _ input: [Float], rows: Int, inFeatures: Int, weight: [Float], outFeatures: Int, output: [Float]
    ) -> ([Double], [Double]) {
        var exact = output.map(Double.init), bounds = output.map { abs(Double($0)) }
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var sum = 0.0, bound = 0.0
                for k in 0..<inFeatures {
                    let term = Double(input[r * inFeatures + k]) * Double(weight[o * inFeatures + k])
                    sum += term
                    bound += abs(term)
                }
                exact[r * outFeatures + o] += sum
                bounds[r * outFeatures + o] += bound
            }
        }
        return (exact, bounds)
    }

    /// How far the worst element is beyond float32 rounding (`1e-5` of its terms' absolute
    /// sum, ≈ 80 ulps), ≤ 0 when all are within; NaN (e.g. untouched output) counts as beyond.
    static func worstExcess(_ got: [Float], _ exact: [Double], _ bounds: [Double]) -> Double {
        precondition(got.count == exact.count)
        var worst = -Double.infinity
        for index in got.indices {
            let error = abs(Double(got[index]) - exact[index])
            let excess = error.isNaN ? .infinity : error - (1e-5 * bounds[index] + 1e-30)
            worst = max(worst, excess)
        }
        return got.isEmpty ? 0 : worst
    }
}

/// Deterministic pseudo-random floats in [-1, 1).
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49EB_D311_33EB
        return z ^ (z >> 31)
    }

    mutating func floats(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float(Double(next() >> 40) / Double(1 << 24) * 2 - 1) }
    }
}
