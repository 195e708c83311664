import Core
import Embedding
import Jobs
import Postgres

/// Every job kind this worker runs: one handler per kind, each in this folder, named after
/// its arguments (`IngestDocumentArgs` → `IngestDocumentHandler`).
enum JobKinds {
    static func registry(
        queue: JobQueue, pool: PostgresPool, embedder: any Embedder, chunker: TextChunker, classifier: MemoryClassifier,
        finder: any FactFinder, webhooks: DeliverWebhookHandler, rollup: RollUpUsageHandler
    ) throws -> JobRegistry {
        let context = ContextStore(queue: queue)
        let memories = MemoryStore(queue: queue)
        var registry = JobRegistry()
        try registry.register(IngestDocumentHandler(store: context, pool: pool, chunker: chunker))
        try registry.register(EmbedDocumentHandler(store: context, pool: pool, embedder: embedder))
        try registry.register(IndexMemoryHandler(store: memories, pool: pool, embedder: embedder, classifier: classifier))
        try registry.register(ExtractMemoriesHandler(
            extraction: MemoryExtraction(pool: pool, memories: memories, embedder: embedder, finder: finder)))
        try registry.register(webhooks)
        try registry.register(rollup)
        try registry.register(PruneWebhookEventsHandler(pool: pool))
        try registry.register(PruneJobsHandler(queue: queue, pool: pool))
        try registry.register(NoOpHandler())
        try registry.register(SleepHandler())
        return registry
    }
}
