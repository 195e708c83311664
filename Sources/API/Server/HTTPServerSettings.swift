import NIOCore
import Settings

/// How the HTTP server treats connections, so that clients that open connections and never
/// finish them cannot exhaust the process's file descriptors.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `HTTP_IDLE_TIMEOUT` | seconds a connection may send nothing, between requests or in the middle of one | 60 |
/// | `HTTP_READ_TIMEOUT` | seconds a request may take to arrive whole, head and body | 60 |
/// | `HTTP_MAX_CONNECTIONS` | open connections at once; more wait in the kernel's backlog | 1000 |
public struct HTTPServerSettings: Sendable, Equatable {
    public var idleTimeout: Int
    public var readTimeout: Int
    public var maxConnections: Int

    public static let defaults = HTTPServerSettings(idleTimeout: 60, readTimeout: 60, maxConnections: 1000)

    public init(idleTimeout: Int, readTimeout: Int, maxConnections: Int) {
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.maxConnections = maxConnections
    }

    public init(environment: [String: String]) throws {
        let defaults = Self.defaults
        idleTimeout = try ConfigurationError.integer("HTTP_IDLE_TIMEOUT", in: environment, range: 1...3600) ?? defaults.idleTimeout
        readTimeout = try ConfigurationError.integer("HTTP_READ_TIMEOUT", in: environment, range: 1...3600) ?? defaults.readTimeout
        maxConnections = try ConfigurationError.integer("HTTP_MAX_CONNECTIONS", in: environment, range: 1...1_000_000) ?? defaults.maxConnections
    }
}
