import CEmbeddingKernels

/// Scratch memory for one forward pass of up to `tokenCapacity` tokens, owned by one thread and
/// reused for every batch it runs, so the hot path allocates nothing per token.
///
/// Unchecked `Sendable`: a `SharedPass` lends the leader's workspace to its helpers, whose
/// chunks write disjoint features of it between the leader's stage barriers.
final class BertWorkspace: @unchecked Sendable {
    let tokenCapacity: Int
    /// The hidden states, `[tokens, hidden]`.
    let hidden: UnsafeMutablePointer<Float>
    let query: UnsafeMutablePointer<Float>
    let key: UnsafeMutablePointer<Float>
    let value: UnsafeMutablePointer<Float>
    /// The attention heads' outputs, concatenated, `[tokens, hidden]`.
    let context: UnsafeMutablePointer<Float>
    /// A sub-layer's output plus its residual input, before LayerNorm.
    let residual: UnsafeMutablePointer<Float>
    /// The feed-forward activations, `[tokens, intermediate]`.
    let intermediate: UnsafeMutablePointer<Float>
    /// One head's attention probabilities, `[sequence, sequence]`.
    let scores: UnsafeMutablePointer<Float>
    /// Scratch of `c0_attention_scores` / `c0_attention_context` (one head's K packed), 64-byte aligned.
    let attentionScratch: UnsafeMutablePointer<Float>

    init(configuration: BertConfiguration, tokenCapacity: Int) {
        let hiddenCount = tokenCapacity * configuration.hiddenSize
        self.tokenCapacity = tokenCapacity
        hidden = .allocate(capacity: hiddenCount)
        query = .allocate(capacity: hiddenCount)
        key = .allocate(capacity: hiddenCount)
        value = .allocate(capacity: hiddenCount)
        context = .allocate(capacity: hiddenCount)
        residual = .allocate(capacity: hiddenCount)
        intermediate = .allocate(capacity: tokenCapacity * configuration.intermediateSize)
        scores = .allocate(capacity: configuration.maxSequenceLength * configuration.maxSequenceLength)
        let scratchBytes = c0_attention_scratch_size(configuration.maxSequenceLength, configuration.headSize)
        attentionScratch = UnsafeMutableRawPointer.allocate(byteCount: max(scratchBytes, 64), alignment: 64)
            .bindMemory(to: Float.self, capacity: max(scratchBytes, 64) / MemoryLayout<Float>.size)
    }

    deinit {
        for buffer in [hidden, query, key, value, context, residual, intermediate, scores, attentionScratch] {
            buffer.deallocate()
        }
    }
}
