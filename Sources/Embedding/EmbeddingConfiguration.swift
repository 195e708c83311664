import Settings
import Foundation

/// Which embedder a process uses and how it is set up, read from the environment in one place.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `EMBEDDER` | `minilm` (native, in-process) or `openai` | `minilm` |
/// | `MINILM_MODEL_DIR` | folder with `model.safetensors`, `vocab.txt`, `config.json` | `<project root>/.deps/minilm` |
/// | `MINILM_THREADS` | threads running the native model | one per core |
/// | `EMBEDDINGS_BASE_URL` | OpenAI-compatible base URL, e.g. `https://api.openai.com/v1` | required for `openai` |
/// | `EMBEDDINGS_API_KEY` | bearer token for that service | none |
/// | `EMBEDDINGS_MODEL` | the service's model name | required for `openai` |
/// | `EMBEDDINGS_DIMENSIONS` | vector length to request and expect | 384, not sent |
public struct EmbeddingConfiguration: Sendable, Equatable {
    public enum Provider: String, Sendable, Equatable {
        case minilm
        case openai
    }

    public var provider: Provider
    /// The native model's folder (used when `provider` is `.minilm`).
    public var modelDirectory: String
    /// Threads for the native model; nil means one per active core.
    public var threads: Int?
    /// The remote service (set when `provider` is `.openai`).
    public var openAI: OpenAIEmbeddingConfiguration?

    public init(provider: Provider = .minilm, modelDirectory: String, threads: Int? = nil, openAI: OpenAIEmbeddingConfiguration? = nil) {
        self.provider = provider
        self.modelDirectory = modelDirectory
        self.threads = threads
        self.openAI = openAI
    }

    /// Reads the variables in the table above; empty values count as unset.
    /// - Parameter projectRoot: the folder holding `.deps/` (the working directory by default).
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        projectRoot: String = FileManager.default.currentDirectoryPath
    ) throws {
        let value = { (name: String) -> String? in
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        let name = value("EMBEDDER")?.lowercased() ?? Provider.minilm.rawValue
        guard let provider = Provider(rawValue: name) else {
            throw ConfigurationError("EMBEDDER must be minilm or openai, not \(name)")
        }
        self.provider = provider
        modelDirectory = value("MINILM_MODEL_DIR") ?? Self.defaultModelDirectory(projectRoot: projectRoot)
        threads = try Self.positiveInteger(value("MINILM_THREADS"), name: "MINILM_THREADS")
        openAI = provider == .openai ? try Self.openAIConfiguration(value) : nil
    }

    /// `<projectRoot>/.deps/minilm`, where the project's set-up links the wheel's model folder.
    public static func defaultModelDirectory(projectRoot: String) -> String {
        URL(fileURLWithPath: projectRoot).appendingPathComponent(".deps/minilm").path
    }

    private static func openAIConfiguration(_ value: (String) -> String?) throws -> OpenAIEmbeddingConfiguration {
        guard let baseURL = value("EMBEDDINGS_BASE_URL") else {
            throw ConfigurationError("EMBEDDER=openai needs EMBEDDINGS_BASE_URL")
        }
        guard let model = value("EMBEDDINGS_MODEL") else {
            throw ConfigurationError("EMBEDDER=openai needs EMBEDDINGS_MODEL")
        }
        let dimensions = try positiveInteger(value("EMBEDDINGS_DIMENSIONS"), name: "EMBEDDINGS_DIMENSIONS")
        return OpenAIEmbeddingConfiguration(
            baseURL: baseURL, apiKey: value("EMBEDDINGS_API_KEY"), model: model,
            dimension: dimensions ?? 384, sendsDimensions: dimensions != nil
        )
    }

    private static func positiveInteger(_ text: String?, name: String) throws -> Int? {
        guard let text else { return nil }
        guard let number = Int(text), number > 0 else {
            throw ConfigurationError("\(name) must be a positive integer, not \(text)")
        }
        return number
    }
}
