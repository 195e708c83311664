import CBLAS
import CEmbeddingKernels

/// The BERT forward pass of a sentence-transformers model: embeddings, the encoder layers, mean
/// pooling and L2 normalisation.
///
/// A batch is packed without padding: the sequences' tokens are stacked into one
/// `[tokens, hidden]` matrix, so every dense layer is one matrix product over all tokens, and
/// attention runs per sequence over that sequence's tokens only. That is exactly what masked,
/// padded attention computes, without the wasted work. The matrix products run on the project's
/// packed kernels or, as a fallback, on BLAS (`MatrixProducts`, chosen when the weights load).
struct BertEncoder: Sendable {
    let configuration: BertConfiguration
    let weights: BertWeights

    /// Writes one mean-pooled, L2-normalised vector per sequence into `output`
    /// (`[sequences.count, hidden]`). Each sequence holds 1...`maxSequenceLength` valid ids and
    /// all of them together fit in `workspace`.
    func embed(_ sequences: [[Int]], workspace: BertWorkspace, into output: UnsafeMutablePointer<Float>) {
        let tokenCount = sequences.reduce(0) { $0 + $1.count }
        precondition(tokenCount <= workspace.tokenCapacity, "batch exceeds the workspace")
        embedTokens(sequences, into: workspace.hidden)
        for layer in weights.layers {
            attention(layer, sequences: sequences, tokenCount: tokenCount, workspace: workspace)
            feedForward(layer, tokenCount: tokenCount, workspace: workspace)
        }
        meanPool(sequences, hidden: workspace.hidden, into: output)
    }

    /// Word + token type (0) + position embeddings, then LayerNorm.
    func embedTokens(_ sequences: [[Int]], into hidden: UnsafeMutablePointer<Float>) {
        let h = configuration.hiddenSize
        var row = hidden
        for ids in sequences {
            for (position, id) in ids.enumerated() {
                let word = weights.wordEmbeddings + id * h
                let place = weights.positionEmbeddings + position * h
                let type = weights.tokenTypeEmbeddings
                for c in 0..<h { row[c] = (word[c] + type[c]) + place[c] }
                row += h
            }
        }
        let tokenCount = sequences.reduce(0) { $0 + $1.count }
        Kernels.layerNorm(
            hidden, bias: nil, rows: tokenCount, columns: h,
            weight: weights.embeddingNormWeight, normBias: weights.embeddingNormBias,
            epsilon: configuration.layerNormEpsilon, output: hidden
        )
    }

    /// Self-attention with its output projection, residual and LayerNorm.
    private func attention(_ layer: BertWeights.Layer, sequences: [[Int]], tokenCount: Int, workspace w: BertWorkspace) {
        let h = configuration.hiddenSize
        project(w.hidden, tokenCount, layer.query, layer.queryBias, into: w.query)
        project(w.hidden, tokenCount, layer.key, layer.keyBias, into: w.key)
        project(w.hidden, tokenCount, layer.value, layer.valueBias, into: w.value)
        var offset = 0
        for ids in sequences {
            attendWithinSequence(start: offset, length: ids.count, workspace: w)
            offset += ids.count
        }
        w.residual.update(from: w.hidden, count: tokenCount * h)
        Kernels.linear(w.context, rows: tokenCount, weight: layer.attentionOutput, output: w.residual)
        Kernels.layerNorm(
            w.residual, bias: layer.attentionOutputBias, rows: tokenCount, columns: h,
            weight: layer.attentionNormWeight, normBias: layer.attentionNormBias,
            epsilon: configuration.layerNormEpsilon, output: w.hidden
        )
    }

    /// `softmax(Q·Kᵀ/√d)·V` for every head of one sequence, into `context`.
    private func attendWithinSequence(start: Int, length n: Int, workspace w: BertWorkspace) {
        for head in 0..<configuration.headCount {
            attend(head: head, start: start, length: n, workspace: w, scratch: w)
        }
    }

    /// `softmax(Q·Kᵀ/√d)·V` for one head of one sequence: from `workspace`'s Q, K and V into
    /// its `context`, with `scratch`'s scores and attention scratch (another thread's
    /// workspace when a shared pass runs the heads on several threads).
    func attend(head: Int, start: Int, length n: Int, workspace w: BertWorkspace, scratch: BertWorkspace) {
        let h = configuration.hiddenSize, d = configuration.headSize
        let scale = 1 / Float(d).squareRoot()
        let column = start * h + head * d
        if weights.matrixProducts == .packed {
            c0_attention_scores(w.query + column, w.key + column, n, d, h, scale, scratch.scores, scratch.attentionScratch)
        } else {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(d),
                scale, w.query + column, Int32(h), w.key + column, Int32(h), 0, scratch.scores, Int32(n)
            )
        }
        Kernels.softmaxRows(scratch.scores, rows: n, columns: n)
        if weights.matrixProducts == .packed {
            c0_attention_context(scratch.scores, n, w.value + column, d, h, w.context + column, scratch.attentionScratch)
        } else {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(d), Int32(n),
                1, scratch.scores, Int32(n), w.value + column, Int32(h), 0, w.context + column, Int32(h)
            )
        }
    }

    /// The feed-forward block: dense + GELU, dense, residual and LayerNorm.
    private func feedForward(_ layer: BertWeights.Layer, tokenCount: Int, workspace w: BertWorkspace) {
        let h = configuration.hiddenSize, i = configuration.intermediateSize
        project(w.hidden, tokenCount, layer.intermediate, layer.intermediateBias, into: w.intermediate)
        Kernels.gelu(w.intermediate, count: tokenCount * i)
        w.residual.update(from: w.hidden, count: tokenCount * h)
        Kernels.linear(w.intermediate, rows: tokenCount, weight: layer.output, output: w.residual)
        Kernels.layerNorm(
            w.residual, bias: layer.outputBias, rows: tokenCount, columns: h,
            weight: layer.outputNormWeight, normBias: layer.outputNormBias,
            epsilon: configuration.layerNormEpsilon, output: w.hidden
        )
    }

    /// `output = input · weightᵀ + bias`.
    private func project(
        _ input: UnsafePointer<Float>, _ tokenCount: Int, _ weight: LinearWeight, _ bias: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>
    ) {
        Kernels.broadcastRows(bias, into: output, rows: tokenCount, columns: weight.outFeatures)
        Kernels.linear(input, rows: tokenCount, weight: weight, output: output)
    }

    /// The mean of each sequence's token vectors, divided by its L2 norm (at least 1e-12).
    func meanPool(_ sequences: [[Int]], hidden: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let h = configuration.hiddenSize
        var row = hidden
        for (s, ids) in sequences.enumerated() {
            let vector = output + s * h
            vector.initialize(repeating: 0, count: h)
            for _ in ids {
                for c in 0..<h { vector[c] += row[c] }
                row += h
            }
            var norm: Float = 0
            for c in 0..<h {
                vector[c] /= Float(ids.count)
                norm += vector[c] * vector[c]
            }
            let inverse = 1 / max(norm.squareRoot(), 1e-12)
            for c in 0..<h { vector[c] *= inverse }
        }
    }
}
