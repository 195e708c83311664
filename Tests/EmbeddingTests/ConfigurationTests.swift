import Embedding
import Settings
import Testing

@Suite("Embedding configuration")
struct ConfigurationTests {
    @Test func defaultsToNativeModelUnderTheProjectRoot() throws {
        let configuration = try EmbeddingConfiguration(environment: [:], projectRoot: "/srv/context0")
        #expect(configuration.provider == .minilm)
        #expect(configuration.modelDirectory == "/srv/context0/.deps/minilm")
        #expect(configuration.threads == nil)
        #expect(configuration.openAI == nil)
    }

    @Test func modelDirAndThreadsCanBeOverridden() throws {
        let configuration = try EmbeddingConfiguration(
            environment: ["EMBEDDER": "MiniLM", "MINILM_MODEL_DIR": "/models/minilm", "MINILM_THREADS": "3"],
            projectRoot: "/srv/context0"
        )
        #expect(configuration.modelDirectory == "/models/minilm")
        #expect(configuration.threads == 3)
    }

    @Test func openAIReadsItsVariables() throws {
        let configuration = try EmbeddingConfiguration(environment: [
            "EMBEDDER": "openai", "EMBEDDINGS_BASE_URL": "https://api.example.com/v1",
            "EMBEDDINGS_API_KEY": "sk-secret", "EMBEDDINGS_MODEL": "text-embedding-3-small",
            "EMBEDDINGS_DIMENSIONS": "384",
        ], projectRoot: "/srv")
        let openAI = try #require(configuration.openAI)
        #expect(configuration.provider == .openai)
        #expect(openAI.endpoint == "https://api.example.com/v1/embeddings")
        #expect(openAI.apiKey == "sk-secret")
        #expect(openAI.model == "text-embedding-3-small")
        #expect(openAI.dimension == 384 && openAI.sendsDimensions)
        #expect(!String(describing: openAI).contains("sk-secret"))
    }

    @Test(arguments: [
        ["EMBEDDER": "word2vec"],
        ["EMBEDDER": "openai", "EMBEDDINGS_MODEL": "m"],
        ["EMBEDDER": "openai", "EMBEDDINGS_BASE_URL": "http://localhost:1"],
        ["MINILM_THREADS": "zero"],
        ["EMBEDDER": "openai", "EMBEDDINGS_BASE_URL": "http://h", "EMBEDDINGS_MODEL": "m", "EMBEDDINGS_DIMENSIONS": "-1"],
    ])
    func invalidEnvironmentsAreRejected(_ environment: [String: String]) {
        #expect(throws: ConfigurationError.self) {
            try EmbeddingConfiguration(environment: environment, projectRoot: "/srv")
        }
    }

    @Test(arguments: [
        ("http://localhost:8080", "http://localhost:8080/v1/embeddings"),
        ("http://localhost:8080/", "http://localhost:8080/v1/embeddings"),
        ("https://api.openai.com/v1", "https://api.openai.com/v1/embeddings"),
        ("https://api.openai.com/v1/", "https://api.openai.com/v1/embeddings"),
        ("http://host/openai/v1/embeddings", "http://host/openai/v1/embeddings"),
    ])
    func endpointIsDerivedFromTheBaseURL(_ base: String, _ endpoint: String) {
        #expect(OpenAIEmbeddingConfiguration.endpoint(forBaseURL: base) == endpoint)
    }

    @Test func factoryMakesTheConfiguredRemoteEmbedder() throws {
        let configuration = try EmbeddingConfiguration(environment: [
            "EMBEDDER": "openai", "EMBEDDINGS_BASE_URL": "http://127.0.0.1:9", "EMBEDDINGS_MODEL": "nomic",
        ], projectRoot: "/srv")
        let embedder = try EmbedderFactory.makeEmbedder(configuration)
        #expect(embedder is OpenAIEmbedder)
        #expect(embedder.modelName == "nomic")
        #expect(embedder.dimension == 384)
    }

    @Test func nonHTTPBaseURLIsRejected() {
        #expect(throws: EmbeddingError.self) {
            try OpenAIEmbedder(configuration: .init(baseURL: "ftp://example.com", apiKey: nil, model: "m"))
        }
    }
}
