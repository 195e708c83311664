import AsyncHTTPClient

/// Makes the embedder an `EmbeddingConfiguration` describes.
public enum EmbedderFactory {
    /// Loads the native model (throwing a typed error naming any missing or corrupt file) or
    /// sets up the remote client. Call once at start-up and share the result.
    public static func makeEmbedder(_ configuration: EmbeddingConfiguration, httpClient: HTTPClient = .shared) throws -> any Embedder {
        switch configuration.provider {
        case .minilm:
            return try MiniLMEmbedder(modelDirectory: configuration.modelDirectory, threads: configuration.threads)
        case .openai:
            guard let openAI = configuration.openAI else {
                throw EmbeddingError.invalidConfiguration("EMBEDDER=openai needs EMBEDDINGS_BASE_URL and EMBEDDINGS_MODEL")
            }
            return try OpenAIEmbedder(configuration: openAI, httpClient: httpClient)
        }
    }
}
