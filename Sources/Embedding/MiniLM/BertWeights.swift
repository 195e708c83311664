/// Pointers into the mapped `model.safetensors` for every tensor the forward pass uses.
/// Matrices keep PyTorch's `[out, in]` row-major layout; the pooler is not used.
struct BertWeights: @unchecked Sendable {
    struct Layer {
        var query, queryBias, key, keyBias, value, valueBias: UnsafePointer<Float>
        var attentionOutput, attentionOutputBias: UnsafePointer<Float>
        var attentionNormWeight, attentionNormBias: UnsafePointer<Float>
        var intermediate, intermediateBias: UnsafePointer<Float>
        var output, outputBias: UnsafePointer<Float>
        var outputNormWeight, outputNormBias: UnsafePointer<Float>
    }

    /// Keeps the mapping alive as long as the pointers are used.
    let storage: SafeTensors
    let wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings: UnsafePointer<Float>
    let embeddingNormWeight, embeddingNormBias: UnsafePointer<Float>
    let layers: [Layer]

    init(file: SafeTensors, configuration c: BertConfiguration) throws {
        let h = c.hiddenSize
        storage = file
        wordEmbeddings = try file.floats("embeddings.word_embeddings.weight", shape: [c.vocabularySize, h])
        positionEmbeddings = try file.floats("embeddings.position_embeddings.weight", shape: [c.maxPositions, h])
        tokenTypeEmbeddings = try file.floats("embeddings.token_type_embeddings.weight", shape: [c.typeVocabularySize, h])
        embeddingNormWeight = try file.floats("embeddings.LayerNorm.weight", shape: [h])
        embeddingNormBias = try file.floats("embeddings.LayerNorm.bias", shape: [h])
        layers = try (0..<c.layerCount).map { try Self.layer($0, file: file, configuration: c) }
    }

    private static func layer(_ index: Int, file: SafeTensors, configuration c: BertConfiguration) throws -> Layer {
        let h = c.hiddenSize, i = c.intermediateSize
        func tensor(_ name: String, _ shape: [Int]) throws -> UnsafePointer<Float> {
            try file.floats("encoder.layer.\(index).\(name)", shape: shape)
        }
        return Layer(
            query: try tensor("attention.self.query.weight", [h, h]),
            queryBias: try tensor("attention.self.query.bias", [h]),
            key: try tensor("attention.self.key.weight", [h, h]),
            keyBias: try tensor("attention.self.key.bias", [h]),
            value: try tensor("attention.self.value.weight", [h, h]),
            valueBias: try tensor("attention.self.value.bias", [h]),
            attentionOutput: try tensor("attention.output.dense.weight", [h, h]),
            attentionOutputBias: try tensor("attention.output.dense.bias", [h]),
            attentionNormWeight: try tensor("attention.output.LayerNorm.weight", [h]),
            attentionNormBias: try tensor("attention.output.LayerNorm.bias", [h]),
            intermediate: try tensor("intermediate.dense.weight", [i, h]),
            intermediateBias: try tensor("intermediate.dense.bias", [i]),
            output: try tensor("output.dense.weight", [h, i]),
            outputBias: try tensor("output.dense.bias", [h]),
            outputNormWeight: try tensor("output.LayerNorm.weight", [h]),
            outputNormBias: try tensor("output.LayerNorm.bias", [h])
        )
    }
}
