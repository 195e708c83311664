import ArgumentParser
import Core
import Embedding
import Foundation
import Jobs
import Logging
import Postgres

/// `context0-worker`: runs jobs until SIGTERM or SIGINT, then stops gracefully.
@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context0-worker",
        abstract: "Run Context0 background jobs.",
        discussion: "Configured by the environment: DATABASE_URL, WORKER_QUEUES (name=concurrency,…), WORKER_*_MS.")

    @Option(help: "Queues and their concurrency, e.g. default=20,maintenance=2 (overrides WORKER_QUEUES).")
    var queues: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = ProcessLogging.bootstrap(label: "context0.worker", environment: environment)
        let configuration: WorkerConfiguration
        do {
            configuration = try WorkerConfiguration(environment: environment, queuesOverride: queues)
        } catch {
            throw ValidationError("\(error)")
        }
        let embedder: any Embedder
        do {
            embedder = try EmbedderFactory.makeEmbedder(configuration.embedding)
        } catch {
            throw ValidationError("cannot load the embedder: \(error)")
        }
        let worker = try await buildWorker(configuration: configuration, embedder: embedder, logger: logger)
        // Running jobs get the shutdown time-out, releasing the rest a few seconds more.
        let deadline = ShutdownDeadline(deadline: configuration.processor.shutdownTimeout + .seconds(5), logger: logger)
        defer { withExtendedLifetime(deadline) {} }
        try await worker.run()
    }
}
