import CEmbeddingKernels

/// The matrix-product kernels on plain arrays, for tests that compare them with a naive loop
/// (at whichever `KernelInstructionSet` is in force).
@_spi(Testing)
public enum KernelChecks {
    /// `output + input · weightᵀ` (`input` `[rows, inFeatures]`, `weight` `[outFeatures,
    /// inFeatures]`, `output` `[rows, outFeatures]`), the weight packed by `c0_pack_weight`
    /// and multiplied by `c0_linear_packed`.
    public static func linearPacked(
        _ input: [Float], rows: Int, inFeatures: Int, weight: [Float], outFeatures: Int, output: [Float]
    ) -> [Float] {
        precondition(input.count == rows * inFeatures && weight.count == outFeatures * inFeatures && output.count == rows * outFeatures)
        let storage = PackedWeightStorage(byteCount: PackedWeightStorage.byteCount(in: inFeatures, out: outFeatures))
        let packed = storage.base.bindMemory(to: Float.self, capacity: storage.byteCount / MemoryLayout<Float>.size)
        c0_pack_weight(weight, inFeatures, outFeatures, packed)
        var result = output
        withExtendedLifetime(storage) {
            c0_linear_packed(input, rows, inFeatures, packed, outFeatures, &result)
        }
        return result
    }

    /// `output + input · weightᵀ` by `c0_linear_few_rows` (the BLAS fallback's query path;
    /// `inFeatures` a multiple of 16).
    public static func linearFewRows(
        _ input: [Float], rows: Int, inFeatures: Int, weight: [Float], outFeatures: Int, output: [Float]
    ) -> [Float] {
        precondition(input.count == rows * inFeatures && weight.count == outFeatures * inFeatures && output.count == rows * outFeatures)
        var result = output
        c0_linear_few_rows(input, rows, inFeatures, weight, outFeatures, &result)
        return result
    }

    /// `scale · Q · Kᵀ` (`[n, n]`) by `c0_attention_scores`, for the head whose `headSize`
    /// columns start at `column` of `query` and `key` (`[n, stride]`).
    public static func attentionScores(
        query: [Float], key: [Float], n: Int, headSize: Int, column: Int, stride: Int, scale: Float
    ) -> [Float] {
        precondition(query.count == n * stride && key.count == n * stride && column + headSize <= stride)
        var scores = [Float](repeating: .nan, count: n * n)
        let scratch = scratchBuffer(n: n, headSize: headSize)
        defer { scratch.deallocate() }
        query.withUnsafeBufferPointer { q in
            key.withUnsafeBufferPointer { k in
                c0_attention_scores(q.baseAddress! + column, k.baseAddress! + column, n, headSize, stride, scale, &scores, scratch)
            }
        }
        return scores
    }

    /// `context` (`[n, stride]`) with the head's `headSize` columns from `column` overwritten
    /// by `P · V` (`probabilities` `[n, n]`, `value` `[n, stride]`) by `c0_attention_context`.
    public static func attentionContext(
        probabilities: [Float], value: [Float], n: Int, headSize: Int, column: Int, stride: Int, context: [Float]
    ) -> [Float] {
        precondition(probabilities.count == n * n && value.count == n * stride && context.count == n * stride)
        var result = context
        let scratch = scratchBuffer(n: n, headSize: headSize)
        defer { scratch.deallocate() }
        value.withUnsafeBufferPointer { v in
            result.withUnsafeMutableBufferPointer { c in
                c0_attention_context(probabilities, n, v.baseAddress! + column, headSize, stride, c.baseAddress! + column, scratch)
            }
        }
        return result
    }

    private static func scratchBuffer(n: Int, headSize: Int) -> UnsafeMutablePointer<Float> {
        let count = max(c0_attention_scratch_size(n, headSize) / MemoryLayout<Float>.size, 16)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        buffer.initialize(repeating: .nan, count: count)
        return buffer
    }
}
