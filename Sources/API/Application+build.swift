import Auth
import Core
import Embedding
import Hummingbird
import HummingbirdCore
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
        configuration: .init(
            url: configuration.databaseURL, maxConnections: configuration.databasePoolSize, applicationName: "context0-api",
            limits: configuration.databaseLimits),
        logger: logger)
    // Admission (rate limit + request count) commits without waiting for the disk: waiting
    // would double a cheap request's latency and queue one user's requests behind each other
    // on their counter row. A crash of PostgreSQL may lose the last fraction of a second of
    // request counts (never data): see docs/webhooks-billing-analytics.md.
    let admissions = PostgresPool(
        configuration: .init(
            url: configuration.databaseURL, maxConnections: max(2, configuration.databasePoolSize / 2), applicationName: "context0-api-admission",
            limits: configuration.databaseLimits, sessionSettings: ["synchronous_commit": "off"]),
        logger: logger)
    let probes = healthProbePool(configuration, logger: logger)
    let wakeups = WakeupThrottle(pool: pool, logger: logger)
    let refunds = RequestRefunds(pool: admissions, logger: logger)
    let queue = JobQueue(wakeupThrottle: wakeups)

    let router = Router(context: Context0RequestContext.self)
    router.middlewares.add(CompressionMiddleware())
    router.middlewares.add(ErrorMiddleware())
    let api = router.group("api/v1")
    PingRoutes(database: DatabaseHealth(pool: probes, alsoWatching: [pool, admissions])).add(to: api)
    let keys = APIKeyCache(
        positiveLifetime: .seconds(configuration.apiKeyCacheSeconds), negativeLifetime: .seconds(configuration.unknownAPIKeyCacheSeconds))
    let keyRevocations = PostgresListener(
        url: configuration.databaseURL, channels: [APIKeyCache.channel], logger: logger,
        onConnect: { keys.forgetAll() }, onNotification: { keys.forget(hashHex: $0.payload) })
    let authenticator = Authenticator(tokens: JSONWebToken(secret: configuration.jwtSecret), pool: pool, keys: keys)
    let admission = Admission(pool: admissions, rateLimits: configuration.rateLimits, metering: configuration.metering, refunds: refunds)
    let protected = ProtectedRoutes(group: api, family: .context0, authenticator: authenticator, admission: admission)
    let limits = configuration.metadataLimits
    let memories = MemoryStore(queue: queue, ranking: configuration.searchRanking)
    let contexts = ContextStore(queue: queue, ranking: configuration.searchRanking)
    let retriever = Retriever(pool: pool, memories: memories, contexts: contexts)
    let assistant = Assistant(model: model, embedder: embedder)
    let intake = ContextIntake(pool: pool, store: contexts, chunker: .fitting(embedder, modelDirectory: configuration.embedding.modelDirectory))
    let contextRoutes = ContextRoutes(pool: pool, store: contexts, intake: intake, embedder: embedder, metadataLimits: limits)
    contextRoutes.add(to: protected.group("context", family: .context))
    JobRoutes(pool: pool, queue: queue).add(to: protected.group("jobs"))
    let memoryRoutes = MemoryRoutes(pool: pool, store: memories, embedder: embedder, metadataLimits: limits)
    memoryRoutes.add(to: protected.group("memories"))
    let chats = ChatStore()
    let chat = ChatService(pool: pool, chats: chats, queue: queue, retriever: retriever, assistant: assistant, embedder: embedder)
    ChatRoutes(pool: pool, chats: chats, service: chat, metadataLimits: limits).add(to: protected.group("chat"))
    let questions = QAStore()
    let qa = QAService(pool: pool, history: questions, retriever: retriever, assistant: assistant, embedder: embedder)
    let qaRoutes = QARoutes(pool: pool, history: questions, service: qa)
    qaRoutes.add(to: protected.group("qa"))
    WebhookRoutes(pool: pool, settings: configuration.webhooks).add(to: protected.group("webhooks"))
    BillingRoutes(pool: pool, billing: BillingStore(overrides: configuration.rateLimits)).add(to: protected.group("billing"))
    AnalyticsRoutes(pool: pool).add(to: protected.group("analytics"))
    Mem0Routes(pool: pool, store: memories, queue: queue, memories: memoryRoutes, admission: admission, metadataLimits: limits)
        .add(to: ProtectedRoutes(group: router.group(), family: .mem0, authenticator: authenticator, admission: admission))
    MCPRoutes(tools: MCPTools(memories: memoryRoutes, context: contextRoutes, qa: qaRoutes).all, admission: admission)
        .add(to: router, authenticator: authenticator)

    let http = configuration.http
    var application = Application(
        router: router,
        server: .http1(configuration: .init(
            additionalChannelHandlers: [RequestReadDeadline(timeout: .seconds(Int64(http.readTimeout)))],
            idleTimeout: .seconds(Int64(http.idleTimeout)))),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "context0",
            availableConnectionsDelegate: MaximumAvailableConnections(http.maxConnections)),
        logger: logger)
    application.addServices(pool, admissions, probes, wakeups, refunds, keyRevocations)
    return application
}

/// `/ping` and `/ready` ask the database on a connection of their own, waiting at most a
/// second for it and for the answer: a load balancer probing while every request connection
/// is busy gets its answer at once instead of queueing behind the requests for the acquire
/// time-out.
private func healthProbePool(_ configuration: APIConfiguration, logger: Logger) -> PostgresPool {
    var limits = configuration.databaseLimits
    limits.statementTimeout = .seconds(1)
    limits.acquireTimeout = .seconds(1)
    // No fail-fast window of its own: while the request pools know the server is gone the
    // probe is not asked, and once they reach it again the next probe must try at once.
    limits.failFast = .zero
    return PostgresPool(
        configuration: .init(url: configuration.databaseURL, maxConnections: 1, applicationName: "context0-api-health", limits: limits),
        logger: logger)
}
