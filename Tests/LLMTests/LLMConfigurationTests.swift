import LLM
import Settings
import Testing

@Suite("LLM configuration")
struct LLMConfigurationTests {
    @Test(arguments: [[:], ["LLM_BASE_URL": "  "], ["LLM_MODEL": "gpt-4o-mini", "LLM_API_KEY": "sk"]])
    func noBaseURLMeansOfflineMode(_ environment: [String: String]) throws {
        #expect(try LLMConfiguration(environment: environment) == nil)
    }

    @Test func readsItsVariables() throws {
        let configuration = try #require(try LLMConfiguration(environment: [
            "LLM_BASE_URL": "https://api.example.com/v1/", "LLM_API_KEY": "sk-secret",
            "LLM_MODEL": "gpt-4o-mini", "LLM_TIMEOUT_SECONDS": "12.5", "LLM_MAX_RETRIES": "0",
            "LLM_MAX_PROMPT_CHARACTERS": "24000",
        ]))
        #expect(configuration.endpoint == "https://api.example.com/v1/chat/completions")
        #expect(configuration.apiKey == "sk-secret")
        #expect(configuration.model == "gpt-4o-mini")
        #expect(configuration.timeout == .milliseconds(12500))
        #expect(configuration.maxRetries == 0)
        #expect(configuration.maxPromptCharacters == 24000)
        #expect(ChatCompletionsClient(configuration: configuration).maxPromptCharacters == 24000, "the model passes the cap on")
        #expect(!String(describing: configuration).contains("sk-secret"))
    }

    @Test func hasDocumentedDefaults() throws {
        let environment = ["LLM_BASE_URL": "http://localhost:11434", "LLM_MODEL": "llama3"]
        let configuration = try #require(try LLMConfiguration(environment: environment))
        #expect(configuration.endpoint == "http://localhost:11434/v1/chat/completions")
        #expect(configuration.apiKey == nil)
        #expect(configuration.timeout == .seconds(60))
        #expect(configuration.maxRetries == 2)
        #expect(configuration.maxPromptCharacters == 16000)
    }

    @Test func aBaseURLWithoutAModelIsAnError() {
        #expect(throws: ConfigurationError("LLM_BASE_URL is set but LLM_MODEL is not")) {
            try LLMConfiguration(environment: ["LLM_BASE_URL": "https://api.example.com/v1"])
        }
    }

    @Test(arguments: [
        ["LLM_BASE_URL": "api.example.com/v1", "LLM_MODEL": "m"],
        ["LLM_BASE_URL": "ftp://example.com", "LLM_MODEL": "m"],
        ["LLM_BASE_URL": "http://", "LLM_MODEL": "m"],
        ["LLM_BASE_URL": "http://h", "LLM_MODEL": "m", "LLM_TIMEOUT_SECONDS": "0"],
        ["LLM_BASE_URL": "http://h", "LLM_MODEL": "m", "LLM_TIMEOUT_SECONDS": "soon"],
        ["LLM_BASE_URL": "http://h", "LLM_MODEL": "m", "LLM_MAX_RETRIES": "-1"],
        ["LLM_BASE_URL": "http://h", "LLM_MODEL": "m", "LLM_MAX_PROMPT_CHARACTERS": "999"],
        ["LLM_BASE_URL": "http://h", "LLM_MODEL": "m", "LLM_MAX_PROMPT_CHARACTERS": "lots"],
    ])
    func malformedValuesAreRejected(_ environment: [String: String]) {
        #expect(throws: ConfigurationError.self) {
            try LLMConfiguration(environment: environment)
        }
    }

    @Test(arguments: [
        ("http://localhost:8080", "http://localhost:8080/v1/chat/completions"),
        ("https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions"),
        ("https://api.openai.com/v1/", "https://api.openai.com/v1/chat/completions"),
        ("http://host/openai/v1/chat/completions", "http://host/openai/v1/chat/completions"),
    ])
    func endpointIsDerivedFromTheBaseURL(_ base: String, _ endpoint: String) {
        #expect(LLMConfiguration.endpoint(forBaseURL: base) == endpoint)
    }
}
