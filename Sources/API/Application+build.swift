import Auth
import Core
import Embedding
import Hummingbird
import Jobs
import LLM
import Logging
import Postgres

/// Builds the API application: the database pool, the embedder, the routes and the services
/// to run. `APICommand` calls it with the environment's configuration; tests can call it too.
public func buildApplication(
    configuration: APIConfiguration, embedder: any Embedder, model: (any LanguageModel)?, logger: Logger
) -> some ApplicationProtocol {
    let pool = PostgresPool(
        configuration: .init(url: configuration.databaseURL, maxConnections: configuration.databasePoolSize, applicationName: "context0-api"),
        logger: logger)
    // Admission (rate limit + request count) commits without waiting for the disk: waiting
    // would double a cheap request's latency and queue one user's requests behind each other
    // on their counter row. A crash of PostgreSQL may lose the last fraction of a second of
    // request counts (never data): see docs/webhooks-billing-analytics.md.
    let admissions = PostgresPool(
        configuration: .init(
            url: configuration.databaseURL, maxConnections: max(2, configuration.databasePoolSize / 2), applicationName: "context0-api-admission",
            sessionSettings: ["synchronous_commit": "off"]),
        logger: logger)
    let wakeups = WakeupThrottle(pool: pool, logger: logger)
    let queue = JobQueue(wakeupThrottle: wakeups)

    let router = Router(context: Context0RequestContext.self)
    router.middlewares.add(CompressionMiddleware())
    router.middlewares.add(ErrorMiddleware())
    let api = router.group("api/v1")
    PingRoutes(database: DatabaseHealth(pool: pool)).add(to: api)
    let authenticated = api.group().add(middleware: AuthMiddleware(
        tokens: JSONWebToken(secret: configuration.jwtSecret), pool: pool, admissions: admissions, rateLimits: configuration.rateLimits,
        metering: configuration.metering))
    ContextRoutes(pool: pool, store: ContextStore(queue: queue), embedder: embedder).add(to: authenticated.group("context"))
    JobRoutes(pool: pool, queue: queue).add(to: authenticated.group("jobs"))
    let memories = MemoryStore(queue: queue)
    let contexts = ContextStore(queue: queue)
    let retriever = Retriever(pool: pool, memories: memories, contexts: contexts)
    let assistant = Assistant(model: model, embedder: embedder)
    MemoryRoutes(pool: pool, store: memories, embedder: embedder).add(to: authenticated.group("memories"))
    ChatRoutes(pool: pool, chats: ChatStore(), queue: queue, retriever: retriever, assistant: assistant, embedder: embedder)
        .add(to: authenticated.group("chat"))
    QARoutes(pool: pool, history: QAStore(), retriever: retriever, assistant: assistant, embedder: embedder)
        .add(to: authenticated.group("qa"))
    WebhookRoutes(pool: pool, settings: configuration.webhooks).add(to: authenticated.group("webhooks"))
    BillingRoutes(pool: pool, billing: BillingStore(overrides: configuration.rateLimits)).add(to: authenticated.group("billing"))
    AnalyticsRoutes(pool: pool).add(to: authenticated.group("analytics"))

    var application = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "context0"),
        logger: logger)
    application.addServices(pool, admissions, wakeups)
    return application
}
