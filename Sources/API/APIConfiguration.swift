import Auth
import Embedding
import Foundation
import Core
import Postgres

/// Everything the API process is configured with, read from the environment here and
/// nowhere else.
public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var databaseURL: String
    public var databasePoolSize: Int
    public var jwtSecret: String
    public var embedding: EmbeddingConfiguration
    public var rateLimits: RateLimitOverrides
    public var webhooks: WebhookSettings
    /// `METERING=off`: no rate limits and no request counting (for private deployments that
    /// bill nobody, and for measuring what metering costs). Users are still created and
    /// disabled users still refused.
    public var metering: Bool

    public init(environment: [String: String]) throws {
        host = environment["HOST"] ?? "127.0.0.1"
        guard let port = Int(environment["PORT"] ?? "8000"), (1...65535).contains(port) else {
            throw ConfigurationError("PORT must be a number between 1 and 65535")
        }
        self.port = port
        guard let url = DatabaseLocation.url(environment: environment) else {
            throw ConfigurationError("DATABASE_URL is not set and no embedded PostgreSQL was found (run `make run`)")
        }
        databaseURL = url
        databasePoolSize = environment["API_DB_POOL_SIZE"].flatMap(Int.init) ?? 10
        guard let auth = AuthConfiguration(environment: environment) else {
            throw ConfigurationError("JWT_SECRET is not set (in development `make run` generates .data/jwt-secret)")
        }
        jwtSecret = auth.jwtSecret
        embedding = try EmbeddingConfiguration(environment: environment, projectRoot: ProjectRoot.path)
        rateLimits = try RateLimitOverrides(environment: environment)
        webhooks = try WebhookSettings(environment: environment)
        switch environment["METERING"]?.lowercased() ?? "on" {
        case "on", "1", "true": metering = true
        case "off", "0", "false": metering = false
        default: throw ConfigurationError("METERING must be on or off")
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
