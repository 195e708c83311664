import AsyncHTTPClient
import Core
import Embedding
import Jobs
import LLM
import Logging
import Postgres
import ServiceLifecycle

/// An assembled worker: its services, and the HTTP client (webhook deliveries) that outlives
/// them and is shut down after them.
struct Worker {
    let services: ServiceGroup
    let http: HTTPClient

    /// Runs until SIGTERM or SIGINT, then stops gracefully.
    func run() async throws {
        do {
            try await services.run()
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}

/// Builds a worker from its configuration, as `buildApplication` builds the API: the
/// database pool, the job kinds and their handlers, the processor. `WorkerCommand` calls it
/// with the environment's configuration.
func buildWorker(configuration: WorkerConfiguration, embedder: any Embedder, logger: Logger) async throws -> Worker {
    let pool = PostgresPool(
        configuration: .init(
            url: configuration.databaseURL, maxConnections: configuration.poolSize, applicationName: "context0-worker",
            limits: configuration.databaseLimits),
        logger: logger)
    let queue = JobQueue()
    let classifier = try await MemoryClassifier(embedder: embedder)
    let finder: any FactFinder = configuration.llm.map { LLMFactFinder(model: ChatCompletionsClient(configuration: $0, logger: logger)) }
        ?? RuleFactFinder()
    // Made after everything that can fail slowly, and shut down if what follows fails.
    // Webhook deliveries follow redirects themselves, checking every target.
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    let registry: JobRegistry
    do {
        registry = try JobKinds.registry(
            queue: queue, pool: pool, embedder: embedder,
            chunker: .fitting(embedder, modelDirectory: configuration.embedding.modelDirectory), classifier: classifier, finder: finder,
            webhooks: DeliverWebhookHandler(pool: pool, http: http, settings: configuration.webhooks),
            rollup: RollUpUsageHandler(rollup: UsageRollup(billing: BillingStore(overrides: configuration.rateLimits)), pool: pool))
    } catch {
        try? await http.shutdown()
        throw error
    }
    let processor = JobProcessor(
        queue: queue, pool: pool, databaseURL: configuration.databaseURL, registry: registry,
        configuration: configuration.processor, logger: logger)
    let services = ServiceGroup(
        configuration: .init(
            services: [.init(service: pool), .init(service: processor)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    return Worker(services: services, http: http)
}
