import Hummingbird
import Logging
import Postgres

/// Builds the API application: the database pool, the routes, and the services to run.
/// `APICommand` calls it with the environment's configuration; tests can call it too.
func buildApplication(configuration: APIConfiguration, logger: Logger) -> some ApplicationProtocol {
    let pool = PostgresPool(
        configuration: .init(url: configuration.databaseURL, maxConnections: configuration.databasePoolSize, applicationName: "context0-api"),
        logger: logger)
    let router = Router()
    PingRoutes(database: DatabaseHealth(pool: pool)).add(to: router.group("api/v1"))
    var application = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "context0"),
        logger: logger)
    application.addServices(pool)
    return application
}
