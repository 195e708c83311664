import CEmbeddingKernels

/// One sequence's forward pass in chunks that the threads of a `SharedPass` share: a search
/// query's handful of rows makes matrix products too small to split by rows, so every product
/// is split by output features (whole 32-feature panels of the packed weights) and the
/// attention by heads. Each chunk computes its features exactly as the whole product does,
/// so the vector is the one `embed(_:workspace:into:)` gives, on any number of threads.
///
/// Per layer: (1) each head's Q, K and V features and its attention; (2) the attention output
/// projection plus residual, by panels; LayerNorm on the leader; (3) the intermediate features
/// with their GELU, four panels a chunk; (4) the output projection plus residual, by panels;
/// LayerNorm on the leader.
extension BertEncoder {
    /// Output features per panel of the packed weights (`C0_PANEL` in `Gemm.c`).
    static let panelWidth = 32
    /// Intermediate panels per chunk of stage 3: 12 chunks for MiniLM's 1,536 features.
    static let intermediatePanelsPerChunk = 4

    /// Whether a pass can be shared: packed weights, and heads and layers of whole panels.
    var sharesPasses: Bool {
        let width = Self.panelWidth
        return weights.matrixProducts == .packed && configuration.headSize % width == 0
            && configuration.hiddenSize % width == 0 && configuration.intermediateSize % width == 0
    }

    /// Writes the mean-pooled, L2-normalised vector of one sequence (1...`maxSequenceLength`
    /// ids) into `output`, sharing the work with `pass`'s helpers. `workspace` is the leader's
    /// and holds the pass's activations; helpers use their own only for attention scratch.
    func embed(_ ids: [Int], sharing pass: SharedPass, workspace w: BertWorkspace, into output: UnsafeMutablePointer<Float>) {
        guard sharesPasses else { return embed([ids], workspace: w, into: output) }
        let n = ids.count, h = configuration.hiddenSize, epsilon = configuration.layerNormEpsilon
        let hiddenPanels = h / Self.panelWidth
        let intermediateChunks = configuration.intermediateSize / Self.panelWidth / Self.intermediatePanelsPerChunk
        embedTokens([ids], into: w.hidden)
        for index in weights.layers.indices {
            pass.run(configuration.headCount, scratch: w) { head, scratch in
                self.projectAndAttend(head: head, layer: index, tokens: n, workspace: w, scratch: scratch)
            }
            pass.run(hiddenPanels, scratch: w) { panel, _ in
                self.addToResidual(w.context, self.weights.layers[index].attentionOutput, panel: panel, tokens: n, workspace: w)
            }
            let layer = weights.layers[index]
            Kernels.layerNorm(
                w.residual, bias: layer.attentionOutputBias, rows: n, columns: h,
                weight: layer.attentionNormWeight, normBias: layer.attentionNormBias, epsilon: epsilon, output: w.hidden
            )
            pass.run(intermediateChunks, scratch: w) { chunk, _ in
                self.intermediate(chunk: chunk, layer: index, tokens: n, workspace: w)
            }
            pass.run(hiddenPanels, scratch: w) { panel, _ in
                self.addToResidual(w.intermediate, self.weights.layers[index].output, panel: panel, tokens: n, workspace: w)
            }
            Kernels.layerNorm(
                w.residual, bias: layer.outputBias, rows: n, columns: h,
                weight: layer.outputNormWeight, normBias: layer.outputNormBias, epsilon: epsilon, output: w.hidden
            )
        }
        meanPool([ids], hidden: w.hidden, into: output)
    }

    /// Stage 1: one head's features of Q, K and V (bias plus `hidden · Wᵀ`), then its attention.
    private func projectAndAttend(head: Int, layer index: Int, tokens n: Int, workspace w: BertWorkspace, scratch: BertWorkspace) {
        let layer = weights.layers[index], d = configuration.headSize
        let projections = [(layer.query, layer.queryBias, w.query), (layer.key, layer.keyBias, w.key), (layer.value, layer.valueBias, w.value)]
        for (weight, bias, output) in projections {
            project(w.hidden, tokens: n, weight, bias, panels: head * d / Self.panelWidth, count: d / Self.panelWidth, into: output)
        }
        attend(head: head, start: 0, length: n, workspace: w, scratch: scratch)
    }

    /// Stage 3: four panels of the intermediate features, bias plus `hidden · Wᵀ`, then GELU.
    private func intermediate(chunk: Int, layer index: Int, tokens n: Int, workspace w: BertWorkspace) {
        let layer = weights.layers[index], count = Self.intermediatePanelsPerChunk
        let width = configuration.intermediateSize, first = chunk * count
        project(w.hidden, tokens: n, layer.intermediate, layer.intermediateBias, panels: first, count: count, into: w.intermediate)
        for row in 0..<n {
            Kernels.gelu(w.intermediate + row * width + first * Self.panelWidth, count: count * Self.panelWidth)
        }
    }

    /// Stages 2 and 4: one panel of `residual = hidden + input · Wᵀ` (the bias is added by the
    /// LayerNorm that follows).
    private func addToResidual(_ input: UnsafePointer<Float>, _ weight: LinearWeight, panel: Int, tokens n: Int, workspace w: BertWorkspace) {
        let h = configuration.hiddenSize, column = panel * Self.panelWidth
        for row in 0..<n {
            (w.residual + row * h + column).update(from: w.hidden + row * h + column, count: Self.panelWidth)
        }
        c0_linear_packed_panels(input, n, weight.inFeatures, weight.packed, h, panel, 1, w.residual)
    }

    /// Panels `first ..< first + count` of `output = input · weightᵀ + bias`.
    private func project(
        _ input: UnsafePointer<Float>, tokens n: Int, _ weight: LinearWeight, _ bias: UnsafePointer<Float>,
        panels first: Int, count: Int, into output: UnsafeMutablePointer<Float>
    ) {
        let width = weight.outFeatures, column = first * Self.panelWidth, features = count * Self.panelWidth
        for row in 0..<n {
            (output + row * width + column).update(from: bias + column, count: features)
        }
        c0_linear_packed_panels(input, n, weight.inFeatures, weight.packed, width, first, count, output)
    }
}
