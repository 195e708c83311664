import Auth
import Settings
import Core
import Embedding
import Foundation
import Postgres

/// Everything the API process is configured with, read from the environment here and
/// nowhere else.
public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var databaseURL: String
    public var databasePoolSize: Int
    /// Statement, lock and idle-transaction time limits, connect and acquire time-outs, and
    /// fail-fast after an outage (`DATABASE_…_MS`, see `DatabaseLimits`).
    public var databaseLimits: DatabaseLimits
    public var jwtSecret: String
    public var embedding: EmbeddingConfiguration
    public var rateLimits: RateLimitOverrides
    public var webhooks: WebhookSettings
    /// How large callers' metadata may be (`METADATA_MAX_BYTES`, `_DEPTH`, `_KEYS`).
    public var metadataLimits: MetadataLimits
    /// Idle and read time-outs and the connection cap (`HTTP_IDLE_TIMEOUT`, …).
    public var http: HTTPServerSettings
    /// `API_KEY_CACHE_SECONDS`: how long a live API key is remembered without asking the
    /// database (a revoked one is forgotten at once, see `APIKeyCache`); 0 asks every time.
    public var apiKeyCacheSeconds: Int
    /// `API_KEY_UNKNOWN_CACHE_SECONDS`: how long a key the database does not know is
    /// answered 401 without asking again; 0 asks every time.
    public var unknownAPIKeyCacheSeconds: Int
    /// `API_SHUTDOWN_TIMEOUT_MS`: after SIGTERM/SIGINT, how long requests in flight may take
    /// before the process exits anyway (`ShutdownDeadline`).
    public var shutdownTimeout: Duration
    /// `METERING=off`: no rate limits and no request counting (for private deployments that
    /// bill nobody, and for measuring what metering costs). Users are still created and
    /// disabled users still refused.
    public var metering: Bool
    /// `SEARCH_RANKING`: `hybrid` (the default) fuses the vector and full-text rankings of
    /// context and memory search; `text` or `vector` uses one alone, to measure what each
    /// contributes (`make eval-search`). `SEARCH_VECTOR_WEIGHT` (0...1): the weight of cosine
    /// similarity in a hybrid score, for tuning on one's own data.
    public var searchRanking: SearchRanking

    /// The shortest `JWT_SECRET` the API starts with: 32 bytes, HS256's 256 bits.
    public static let minimumJWTSecretBytes = 32

    public init(environment: [String: String]) throws {
        host = environment["HOST"] ?? "127.0.0.1"
        guard let port = Int(environment["PORT"] ?? "8000"), (1...65535).contains(port) else {
            throw ConfigurationError("PORT must be a number between 1 and 65535")
        }
        self.port = port
        guard let url = ProjectLayout.databaseURL(environment: environment) else {
            throw ConfigurationError("DATABASE_URL is not set and no embedded PostgreSQL was found (run `make run`)")
        }
        databaseURL = url
        databasePoolSize = environment["API_DB_POOL_SIZE"].flatMap(Int.init) ?? 10
        databaseLimits = try DatabaseLimits(environment: environment, prefix: "DATABASE_", defaults: .api)
        guard let auth = AuthConfiguration(environment: environment, developmentSecret: ProjectLayout.developmentJWTSecret) else {
            throw ConfigurationError("JWT_SECRET is not set (in development `make run` generates .data/jwt-secret)")
        }
        // RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits. A
        // shorter secret can be brute-forced from any one token, and then tokens forged.
        guard auth.jwtSecret.utf8.count >= Self.minimumJWTSecretBytes else {
            throw ConfigurationError("""
                JWT_SECRET must be at least \(Self.minimumJWTSecretBytes) bytes, not \(auth.jwtSecret.utf8.count) \
                (generate one with `openssl rand -hex 32`)
                """)
        }
        jwtSecret = auth.jwtSecret
        embedding = try EmbeddingConfiguration(environment: environment, projectRoot: ProjectLayout.dependenciesRoot)
        rateLimits = try RateLimitOverrides(environment: environment)
        webhooks = try WebhookSettings(environment: environment)
        metadataLimits = try MetadataLimits(environment: environment)
        http = try HTTPServerSettings(environment: environment)
        apiKeyCacheSeconds = try ConfigurationError.integer("API_KEY_CACHE_SECONDS", in: environment, range: 0...86_400) ?? 30
        unknownAPIKeyCacheSeconds = try ConfigurationError.integer("API_KEY_UNKNOWN_CACHE_SECONDS", in: environment, range: 0...86_400) ?? 10
        shutdownTimeout = .milliseconds(try ConfigurationError.integer("API_SHUTDOWN_TIMEOUT_MS", in: environment, range: 1...3_600_000) ?? 10_000)
        switch environment["METERING"]?.lowercased() ?? "on" {
        case "on", "1", "true": metering = true
        case "off", "0", "false": metering = false
        default: throw ConfigurationError("METERING must be on or off")
        }
        guard let mode = SearchRanking.Mode(rawValue: environment["SEARCH_RANKING"]?.lowercased() ?? "hybrid") else {
            throw ConfigurationError("SEARCH_RANKING must be hybrid, text or vector")
        }
        let weight = environment["SEARCH_VECTOR_WEIGHT"].map { Double($0) } ?? TextRanking.defaultHybridVectorWeight
        guard let weight, (0...1).contains(weight) else {
            throw ConfigurationError("SEARCH_VECTOR_WEIGHT must be a number from 0 to 1")
        }
        searchRanking = SearchRanking(mode: mode, hybridVectorWeight: weight)
    }
}
