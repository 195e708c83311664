import API
import Core
import Embedding
import Foundation
import Hummingbird
import LLM
import Logging

/// `context0-api`: serves the HTTP API until SIGTERM or SIGINT, then drains and stops.
@main
struct APICommand {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = ProcessLogging.bootstrap(label: "context0.api", environment: environment)
        let configuration: APIConfiguration
        let embedder: any Embedder
        let model: (any LanguageModel)?
        do {
            configuration = try APIConfiguration(environment: environment)
            embedder = try EmbedderFactory.makeEmbedder(configuration.embedding)
            model = try LLMConfiguration(environment: environment).map { ChatCompletionsClient(configuration: $0, logger: logger) }
        } catch {
            logger.critical("cannot start: \(error)")
            exit(1)
        }
        logger.info("language model: \(model.map { "\($0.modelName) (llm mode)" } ?? "none (offline mode)")")
        let application = buildApplication(configuration: configuration, embedder: embedder, model: model, logger: logger)
        let deadline = ShutdownDeadline(deadline: configuration.shutdownTimeout, logger: logger)
        defer { withExtendedLifetime(deadline) {} }
        try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
