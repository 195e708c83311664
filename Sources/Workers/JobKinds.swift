import Core
import Embedding
import Jobs
import Postgres

/// Every job kind this worker runs.
enum JobKinds {
    static func registry(
        queue: JobQueue, pool: PostgresPool, embedder: any Embedder, chunker: TextChunker, classifier: MemoryClassifier,
        finder: any FactFinder, webhooks: DeliverWebhook, rollup: RollUpUsage
    ) throws -> JobRegistry {
        var registry = JobRegistry()
        let store = ContextStore(queue: queue)
        let ingest = IngestDocument(store: store, pool: pool, chunker: chunker)
        let embed = EmbedDocument(store: store, pool: pool, embedder: embedder)
        try registry.register(IngestDocumentJob.self) { job, context in try await ingest.run(job, context: context) }
        try registry.register(EmbedDocumentJob.self) { job, context in try await embed.run(job, context: context) }
        let memories = MemoryStore(queue: queue)
        let indexMemory = IndexMemory(store: memories, pool: pool, embedder: embedder, classifier: classifier)
        let extract = ExtractMemories(extraction: MemoryExtraction(pool: pool, memories: memories, embedder: embedder, finder: finder))
        try registry.register(IndexMemoryJob.self) { job, context in try await indexMemory.run(job, context: context) }
        try registry.register(ExtractMemoriesJob.self) { job, context in try await extract.run(job, context: context) }
        try registry.register(DeliverWebhookJob.self) { job, context in try await webhooks.run(job, context: context) }
        try registry.register(RollUpUsageJob.self) { job, context in try await rollup.run(job, context: context) }
        let pruneEvents = PruneWebhookEvents(pool: pool)
        try registry.register(PruneWebhookEventsJob.self) { job, context in try await pruneEvents.run(job, context: context) }
        try registry.register(NoOpJob.self) { _, _ in .completed }
        try registry.register(SleepJob.self) { job, context in try await job.run(context: context) }
        try registry.register(PruneJobsJob.self) { job, context in try await job.run(queue: queue, pool: pool, context: context) }
        return registry
    }
}
