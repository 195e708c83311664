import Settings
import Foundation
import Jobs

/// How webhooks are checked and delivered, from the environment: `WEBHOOK_ALLOW_PRIVATE`
/// (`1` allows loopback and private targets), `WEBHOOK_DISABLE_AFTER` (consecutive failed
/// attempts before a webhook is disabled), `WEBHOOK_MAX_ATTEMPTS`, `WEBHOOK_RETRY_BASE_MS`,
/// `WEBHOOK_TIMEOUT_MS` (one attempt's single deadline: resolving, connecting, every redirect
/// and the response body).
public struct WebhookSettings: Sendable, Equatable {
    public var allowPrivateTargets = false
    public var disableAfter = 50
    /// 14 attempts: the waits (1 min doubling, at most 4 h, ±20 %) add up to about a day.
    public var maxAttempts = 14
    public var retry = RetryPolicy(base: .seconds(60), maximum: .seconds(4 * 3600), jitter: 0.2)
    /// The whole attempt, redirects and response body included.
    public var timeout: Duration = .seconds(15)
    /// Redirects followed per attempt, each target checked and pinned like the first.
    public var maxRedirects = 3

    /// The addresses deliveries may connect to: public ones only, unless private targets are allowed.
    public var addressPolicy: WebhookAddressPolicy { allowPrivateTargets ? .anyAddress : .publicOnly }

    public init() {}

    public init(environment: [String: String]) throws {
        allowPrivateTargets = ["1", "true", "yes"].contains(environment["WEBHOOK_ALLOW_PRIVATE"]?.lowercased() ?? "0")
        func positive(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text), value > 0 else { throw ConfigurationError("\(name) must be a positive whole number") }
            return value
        }
        disableAfter = try positive("WEBHOOK_DISABLE_AFTER") ?? disableAfter
        maxAttempts = try positive("WEBHOOK_MAX_ATTEMPTS") ?? maxAttempts
        if let base = try positive("WEBHOOK_RETRY_BASE_MS") { retry.base = .milliseconds(base) }
        timeout = try positive("WEBHOOK_TIMEOUT_MS").map { .milliseconds($0) } ?? timeout
    }
}
