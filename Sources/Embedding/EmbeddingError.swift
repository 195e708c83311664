/// Everything that can go wrong while loading or calling an embedder.
///
/// Load-time errors name the file at fault so a misconfigured deployment fails at start-up
/// with a message an operator can act on.
public enum EmbeddingError: Error, Equatable, Sendable {
    /// The configuration is incomplete or contradictory (missing URL, unknown `EMBEDDER`, ...).
    case invalidConfiguration(String)
    /// A model file (or the model folder) does not exist or cannot be read.
    case modelFileMissing(path: String)
    /// A model file exists but its content is not what the model needs.
    case modelFileCorrupt(path: String, reason: String)
    /// The embeddings service answered with an HTTP error; `attempts` requests were made.
    case requestFailed(status: Int, message: String, attempts: Int)
    /// The embeddings service could not be reached or did not answer in time.
    case transportFailed(message: String, attempts: Int)
    /// The embeddings service answered 200 with a body that is not a valid embeddings response.
    case invalidResponse(String)
    /// A returned vector does not have the configured dimension.
    case dimensionMismatch(expected: Int, actual: Int)
}

extension EmbeddingError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            return "invalid embedding configuration: \(message)"
        case .modelFileMissing(let path):
            return "embedding model file not found or unreadable: \(path) (run the project's set-up, or set MINILM_MODEL_DIR)"
        case .modelFileCorrupt(let path, let reason):
            return "embedding model file is corrupt: \(path): \(reason)"
        case .requestFailed(let status, let message, let attempts):
            return "embeddings request failed with HTTP \(status) after \(attempts) attempt(s): \(message)"
        case .transportFailed(let message, let attempts):
            return "embeddings service unreachable after \(attempts) attempt(s): \(message)"
        case .invalidResponse(let message):
            return "invalid embeddings response: \(message)"
        case .dimensionMismatch(let expected, let actual):
            return "embedding has \(actual) dimensions, expected \(expected) (see EMBEDDINGS_DIMENSIONS)"
        }
    }
}
