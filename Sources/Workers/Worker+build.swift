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
/// database pools, the job kinds and their handlers, the processor, the rescuer and the
/// periodic enqueuer, each a service of one group. `WorkerCommand` calls it
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
    let bookkeeping = PostgresPool(
        configuration: .init(
            url: configuration.databaseURL, maxConnections: 2, applicationName: "context0-worker-bookkeeping",
            sessionSettings: ["synchronous_commit": "off"]),
        logger: logger)
    let processor = JobProcessor(
        queue: queue, pool: pool, bookkeeping: bookkeeping, databaseURL: configuration.databaseURL, registry: registry,
        configuration: configuration.processor, logger: logger)
    let rescuer = JobRescuer(
        queue: queue, pool: pool, interval: configuration.maintenanceInterval, deadAfter: configuration.processor.deadAfter, logger: logger)
    let periodic = PeriodicJobEnqueuer(
        queue: queue, pool: pool, jobs: configuration.periodicJobs, interval: configuration.maintenanceInterval, logger: logger)
    // Graceful shutdown goes in reverse order: the processor finishes its jobs first, while
    // the pools still serve it.
    let services = ServiceGroup(
        configuration: .init(
            services: [.init(service: pool), .init(service: bookkeeping), .init(service: rescuer), .init(service: periodic), .init(service: processor)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    return Worker(services: services, http: http)
}
