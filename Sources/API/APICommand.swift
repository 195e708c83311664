import Core
import Embedding
import Foundation
import Hummingbird
import Logging

/// `context0-api`: serves the HTTP API until SIGTERM or SIGINT, then drains and stops.
@main
struct APICommand {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = ProcessLogging.bootstrap(label: "context0.api", environment: environment)
        let configuration: APIConfiguration
        let embedder: any Embedder
        do {
            configuration = try APIConfiguration(environment: environment)
            embedder = try EmbedderFactory.makeEmbedder(configuration.embedding)
        } catch {
            logger.critical("cannot start: \(error)")
            exit(1)
        }
        let application = buildApplication(configuration: configuration, embedder: embedder, logger: logger)
        try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
