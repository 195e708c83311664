@_spi(Testing) import Embedding
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `context0-embedding-benchmark`: query latency, chunk throughput and peak memory of the native
/// MiniLM embedder, printed as one machine-readable `RESULT` line (see `Benchmarks/Embedding/run.sh`).
///
/// Usage: `context0-embedding-benchmark --texts FILE [--threads 1|all] [--model-dir DIR]
/// [--queries N] [--batch-size N] [--dump FILE] [--matrix-products packed|blas]
/// [--kernels baseline|avx2|avx512] [--system NAME]`. `FILE` is JSON `{"query": …, "chunks": […]}`; the matrix
/// products and the kernels' instruction set default to the machine's choice.
@main
struct EmbeddingBenchmark {
    struct Texts: Decodable {
        var query: String
        var chunks: [String]
    }

    struct Options {
        var texts = ""
        var threads = "1"
        var modelDirectory: String?
        var queries = 300
        var batchSize = 32
        var dump: String?
        var matrixProducts = MatrixProducts.automatic
        var kernels: KernelInstructionSet?
        /// The `system=` name of the RESULT line.
        var system = "context0"
    }

    static func main() async throws {
        let options = try parseOptions(Array(CommandLine.arguments.dropFirst()))
        let texts = try JSONDecoder().decode(Texts.self, from: Data(contentsOf: URL(fileURLWithPath: options.texts)))
        let configuration = try EmbeddingConfiguration()
        let threadCount = options.threads == "all" ? ProcessInfo.processInfo.activeProcessorCount : Int(options.threads) ?? 1
        if let kernels = options.kernels { KernelInstructionSet.force(kernels) }
        let embedder = try MiniLMEmbedder(
            modelDirectory: options.modelDirectory ?? configuration.modelDirectory, threads: threadCount,
            matrixProducts: options.matrixProducts
        )
        describe(texts, embedder: embedder)

        let latencies = try await queryLatencies(embedder, query: texts.query, count: options.queries)
        let chunksPerSecond = try await throughput(embedder, chunks: texts.chunks, batchSize: options.batchSize)
        if let dump = options.dump {
            try await writeDump(embedder, texts: texts, batchSize: options.batchSize, to: dump)
        }
        print(String(
            format: "RESULT bench=embed system=%@ threads=%@ kernels=%@ query_p50_ms=%.3f query_p99_ms=%.3f chunks_per_s=%.2f peak_rss_mb=%.1f",
            options.system, options.threads, KernelInstructionSet.current.description, percentile(latencies, 0.50), percentile(latencies, 0.99), chunksPerSecond, peakResidentMegabytes()
        ))
    }

    /// Milliseconds per single-query call, after a warm-up.
    static func queryLatencies(_ embedder: MiniLMEmbedder, query: String, count: Int) async throws -> [Double] {
        for _ in 0..<20 { _ = try await embedder.embed([query]) }
        var latencies: [Double] = []
        latencies.reserveCapacity(count)
        let clock = ContinuousClock()
        for _ in 0..<count {
            let elapsed = try await clock.measure { _ = try await embedder.embed([query]) }
            latencies.append(milliseconds(elapsed))
        }
        return latencies
    }

    /// Chunks per second over all chunks, embedded in consecutive batches, after one warm-up batch.
    static func throughput(_ embedder: MiniLMEmbedder, chunks: [String], batchSize: Int) async throws -> Double {
        _ = try await embedder.embed(Array(chunks.prefix(batchSize)))
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for start in stride(from: 0, to: chunks.count, by: batchSize) {
                _ = try await embedder.embed(Array(chunks[start..<min(start + batchSize, chunks.count)]))
            }
        }
        return Double(chunks.count) / (milliseconds(elapsed) / 1000)
    }

    /// Writes the query's and the first batch's embeddings, for `peers.py --compare`.
    static func writeDump(_ embedder: MiniLMEmbedder, texts: Texts, batchSize: Int, to path: String) async throws {
        let chunks = Array(texts.chunks.prefix(batchSize))
        let object: [String: Any] = [
            "texts": [texts.query] + chunks,
            "embeddings": try await embedder.embed([texts.query] + chunks).map { $0.map(Double.init) },
        ]
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    static func describe(_ texts: Texts, embedder: MiniLMEmbedder) {
        let chunkTokens = texts.chunks.map { embedder.tokenIDs(for: $0).count }
        let line = "context0: threads=\(embedder.threadCount) kernels=\(KernelInstructionSet.current) matrix_products=\(embedder.matrixProducts) query_tokens=\(embedder.tokenIDs(for: texts.query).count) "
            + "chunks=\(texts.chunks.count) chunk_tokens=\(chunkTokens.min() ?? 0)...\(chunkTokens.max() ?? 0)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// The process's peak resident set size (`ru_maxrss`: KiB on Linux, bytes on macOS).
    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        #if canImport(Darwin)
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576
        #else
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
        #endif
    }

    static func parseOptions(_ arguments: [String]) throws -> Options {
        var options = Options()
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            guard let value = iterator.next() else { throw usage("missing value for \(argument)") }
            switch argument {
            case "--texts": options.texts = value
            case "--threads": options.threads = value
            case "--model-dir": options.modelDirectory = value
            case "--queries": options.queries = Int(value) ?? options.queries
            case "--batch-size": options.batchSize = Int(value) ?? options.batchSize
            case "--dump": options.dump = value
            case "--system": options.system = value
            case "--matrix-products":
                guard let choice = MatrixProducts(rawValue: value) else { throw usage("--matrix-products is packed or blas") }
                options.matrixProducts = choice
            case "--kernels":
                guard let choice = KernelInstructionSet.allCases.first(where: { $0.description == value }) else {
                    throw usage("--kernels is baseline, avx2 or avx512")
                }
                options.kernels = choice
            default: throw usage("unknown option \(argument)")
            }
        }
        guard !options.texts.isEmpty, options.threads == "all" || Int(options.threads) != nil else {
            throw usage("--texts FILE is required and --threads is 1, N or all")
        }
        return options
    }

    static func usage(_ message: String) -> EmbeddingError {
        .invalidConfiguration("\(message); usage: --texts FILE [--threads 1|all] [--model-dir DIR] [--queries N] [--batch-size N] [--dump FILE] [--matrix-products packed|blas] [--kernels baseline|avx2|avx512] [--system NAME]")
    }
}
