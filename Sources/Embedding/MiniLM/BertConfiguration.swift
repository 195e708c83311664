import Foundation

/// The BERT hyper-parameters read from the model folder's `config.json` and
/// `sentence_bert_config.json`.
struct BertConfiguration: Sendable, Equatable {
    var vocabularySize = 30522
    var hiddenSize = 384
    var layerCount = 6
    var headCount = 12
    var intermediateSize = 1536
    var maxPositions = 512
    var typeVocabularySize = 2
    var layerNormEpsilon: Float = 1e-12
    /// sentence-transformers' `max_seq_length`: the truncation length, `[CLS]`/`[SEP]` included.
    var maxSequenceLength = 256

    var headSize: Int { hiddenSize / headCount }

    private struct ConfigFile: Decodable {
        var vocab_size: Int
        var hidden_size: Int
        var num_hidden_layers: Int
        var num_attention_heads: Int
        var intermediate_size: Int
        var max_position_embeddings: Int
        var type_vocab_size: Int
        var layer_norm_eps: Double
        var hidden_act: String
        var position_embedding_type: String?
    }

    private struct SentenceBertConfigFile: Decodable {
        var max_seq_length: Int
    }

    private struct PoolingConfigFile: Decodable {
        var pooling_mode_mean_tokens: Bool
    }

    /// Reads and checks the configuration in `directory`.
    init(directory: String) throws {
        let config = try Self.decode(ConfigFile.self, at: directory + "/config.json")
        let path = directory + "/config.json"
        guard config.hidden_act == "gelu", config.position_embedding_type ?? "absolute" == "absolute" else {
            throw EmbeddingError.modelFileCorrupt(path: path, reason: "unsupported activation or position embeddings")
        }
        guard config.num_attention_heads > 0, config.hidden_size % config.num_attention_heads == 0 else {
            throw EmbeddingError.modelFileCorrupt(path: path, reason: "hidden size is not a multiple of the head count")
        }
        // The vectorised kernels work on rows of whole 16-float vectors.
        guard config.hidden_size > 0, config.hidden_size % 16 == 0, config.intermediate_size % 16 == 0 else {
            throw EmbeddingError.modelFileCorrupt(path: path, reason: "hidden and intermediate sizes must be multiples of 16")
        }
        vocabularySize = config.vocab_size
        hiddenSize = config.hidden_size
        layerCount = config.num_hidden_layers
        headCount = config.num_attention_heads
        intermediateSize = config.intermediate_size
        maxPositions = config.max_position_embeddings
        typeVocabularySize = config.type_vocab_size
        layerNormEpsilon = Float(config.layer_norm_eps)
        try readSentenceTransformersFiles(directory)
    }

    private mutating func readSentenceTransformersFiles(_ directory: String) throws {
        let sentencePath = directory + "/sentence_bert_config.json"
        if FileManager.default.fileExists(atPath: sentencePath) {
            maxSequenceLength = try Self.decode(SentenceBertConfigFile.self, at: sentencePath).max_seq_length
        }
        guard maxSequenceLength >= 2, maxSequenceLength <= maxPositions else {
            throw EmbeddingError.modelFileCorrupt(path: sentencePath, reason: "max_seq_length out of range")
        }
        let poolingPath = directory + "/1_Pooling/config.json"
        if FileManager.default.fileExists(atPath: poolingPath) {
            guard try Self.decode(PoolingConfigFile.self, at: poolingPath).pooling_mode_mean_tokens else {
                throw EmbeddingError.modelFileCorrupt(path: poolingPath, reason: "only mean pooling is supported")
            }
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, at path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmbeddingError.modelFileMissing(path: path)
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw EmbeddingError.modelFileCorrupt(path: path, reason: "unexpected JSON content")
        }
    }
}
