import ArgumentParser
import AsyncHTTPClient
import Core
import Embedding
import Foundation
import Jobs
import LLM
import Logging
import Postgres
import ServiceLifecycle

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
        let pool = PostgresPool(
            configuration: .init(
                url: configuration.databaseURL, maxConnections: configuration.poolSize, applicationName: "context0-worker",
                limits: configuration.databaseLimits),
            logger: logger)
        let queue = JobQueue()
        let classifier = try await MemoryClassifier(embedder: embedder)
        // Made after everything that can fail to start, so it is always shut down. Webhook
        // deliveries follow redirects themselves, checking every target.
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let processor = JobProcessor(
            queue: queue, pool: pool, databaseURL: configuration.databaseURL,
            registry: JobKinds.registry(
                queue: queue, pool: pool, embedder: embedder, chunker: .fitting(embedder, modelDirectory: configuration.embedding.modelDirectory),
                classifier: classifier,
                finder: configuration.llm.map { LLMFactFinder(model: ChatCompletionsClient(configuration: $0, logger: logger)) }
                    ?? RuleFactFinder(),
                webhooks: DeliverWebhook(pool: pool, http: http, settings: configuration.webhooks),
                rollup: RollUpUsage(rollup: UsageRollup(billing: BillingStore(overrides: configuration.rateLimits)), pool: pool)),
            configuration: configuration.processor, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: pool), .init(service: processor)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        // Running jobs get the shutdown time-out, releasing the rest a few seconds more.
        let deadline = ShutdownDeadline(deadline: configuration.processor.shutdownTimeout + .seconds(5), logger: logger)
        defer { withExtendedLifetime(deadline) {} }
        do {
            try await group.run()
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}

/// Every job kind this worker runs.
enum JobKinds {
    static func registry(
        queue: JobQueue, pool: PostgresPool, embedder: any Embedder, chunker: TextChunker, classifier: MemoryClassifier,
        finder: any FactFinder, webhooks: DeliverWebhook, rollup: RollUpUsage
    ) -> JobRegistry {
        var registry = JobRegistry()
        let store = ContextStore(queue: queue)
        let ingest = IngestDocument(store: store, pool: pool, chunker: chunker)
        let embed = EmbedDocument(store: store, pool: pool, embedder: embedder)
        registry.register(IngestDocumentJob.self) { job, context in try await ingest.run(job, context: context) }
        registry.register(EmbedDocumentJob.self) { job, context in try await embed.run(job, context: context) }
        let memories = MemoryStore(queue: queue)
        let indexMemory = IndexMemory(store: memories, pool: pool, embedder: embedder, classifier: classifier)
        let extract = ExtractMemories(extraction: MemoryExtraction(pool: pool, memories: memories, embedder: embedder, finder: finder))
        registry.register(IndexMemoryJob.self) { job, context in try await indexMemory.run(job, context: context) }
        registry.register(ExtractMemoriesJob.self) { job, context in try await extract.run(job, context: context) }
        registry.register(DeliverWebhookJob.self) { job, context in try await webhooks.run(job, context: context) }
        registry.register(RollUpUsageJob.self) { job, context in try await rollup.run(job, context: context) }
        let pruneEvents = PruneWebhookEvents(pool: pool)
        registry.register(PruneWebhookEventsJob.self) { job, context in try await pruneEvents.run(job, context: context) }
        registry.register(NoOpJob.self) { _, _ in .completed }
        registry.register(SleepJob.self) { job, context in try await job.run(context: context) }
        registry.register(PruneJobsJob.self) { job, context in try await job.run(queue: queue, pool: pool, context: context) }
        return registry
    }
}
