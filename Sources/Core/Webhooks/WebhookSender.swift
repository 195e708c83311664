import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// One signed webhook POST, as the delivery worker builds it.
public struct WebhookRequest: Sendable {
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(url: String, headers: [(name: String, value: String)], body: Data) {
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// Why an attempt failed, in the words the delivery log (and so the API) shows: never an
/// address, a resolver's answer or a library's error text. The details go to the server log.
public enum WebhookDeliveryFailure: Sendable, Equatable {
    /// The SSRF check refused a hop's URL, or its host did not resolve.
    case targetRefused
    /// Connecting, TLS, or the exchange failed.
    case networkError
    /// The delivery's one deadline passed (connecting, redirects and the response body included).
    case timedOut
    /// The receiver answered something other than 2xx (or a redirect without a usable `Location`).
    case httpStatus(Int)
    case tooManyRedirects
    /// The worker stopped the delivery (shutdown, cancelled job).
    case interrupted

    public var text: String {
        switch self {
        case .targetRefused: "target refused"
        case .networkError: "network error"
        case .timedOut: "timed out"
        case .httpStatus(let status): "HTTP \(status)"
        case .tooManyRedirects: "too many redirects"
        case .interrupted: "delivery interrupted"
        }
    }
}

/// What one delivery attempt came to.
public struct WebhookSendOutcome: Sendable, Equatable {
    /// The last status received, if any.
    public var status: Int?
    /// Nil when the delivery succeeded (a 2xx answer).
    public var failure: WebhookDeliveryFailure?
    /// Every address a connection was made or tried to, over all hops, in order: checked ones only.
    public var addressesTried: [IPAddress] = []

    public init(status: Int? = nil, failure: WebhookDeliveryFailure?, addressesTried: [IPAddress] = []) {
        self.status = status
        self.failure = failure
        self.addressesTried = addressesTried
    }

    public var succeeded: Bool { failure == nil }
}

/// Sends webhook deliveries so that the SSRF check cannot be dodged: every hop's host is
/// resolved once and checked (`PinnedWebhookTarget`), and the connection goes to a checked
/// address only, whatever the name answers later (async-http-client's `dnsOverride`, on a client
/// of the hop's own, so TLS still verifies the certificate for the name).
///
/// Redirects (301, 302, 303, 307, 308) are followed up to `maxRedirects`, each hop checked and
/// pinned like the first, re-sending the same POST. The whole attempt (resolving, connecting,
/// every hop, the response body) has one deadline, and at most `responseBytesRead` bytes of a
/// response body are read (and none kept): the connection is closed after that.
public struct WebhookSender: Sendable {
    public static let responseBytesRead = 4096
    /// Addresses tried per hop when connecting fails (a name with IPv6 and IPv4 addresses on a
    /// host without IPv6, say).
    public static let addressesTriedPerHop = 3
    static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]

    public var policy: WebhookAddressPolicy
    public var resolver: any WebhookResolver
    public var deadline: Duration
    public var maxRedirects: Int
    public var eventLoopGroup: any EventLoopGroup

    public init(
        policy: WebhookAddressPolicy, resolver: any WebhookResolver = SystemWebhookResolver(), deadline: Duration,
        maxRedirects: Int, eventLoopGroup: any EventLoopGroup
    ) {
        self.policy = policy
        self.resolver = resolver
        self.deadline = deadline
        self.maxRedirects = maxRedirects
        self.eventLoopGroup = eventLoopGroup
    }

    /// The sender `settings` describe: their address policy, time-out and redirect limit.
    public init(settings: WebhookSettings, resolver: any WebhookResolver = SystemWebhookResolver(), eventLoopGroup: any EventLoopGroup) {
        self.init(
            policy: settings.addressPolicy, resolver: resolver, deadline: settings.timeout,
            maxRedirects: settings.maxRedirects, eventLoopGroup: eventLoopGroup)
    }

    /// Sends `request`, following redirects, within the deadline. Never throws: failures are
    /// outcomes, logged with their details on `logger`.
    public func send(_ request: WebhookRequest, logger: Logger) async -> WebhookSendOutcome {
        let due = ContinuousClock.now + deadline
        let tried = TriedAddresses()
        var outcome = await withTaskGroup(of: WebhookSendOutcome.self, returning: WebhookSendOutcome.self) { group in
            group.addTask { await self.follow(request, until: due, tried: tried, logger: logger) }
            group.addTask {
                do {
                    try await Task.sleep(until: due, clock: .continuous)
                } catch {
                    return WebhookSendOutcome(failure: .interrupted)
                }
                return WebhookSendOutcome(failure: .timedOut)
            }
            // The first to finish decides; the other is cancelled (an exchange in flight closes
            // its connection).
            let first = await group.next() ?? WebhookSendOutcome(failure: .interrupted)
            group.cancelAll()
            return first
        }
        outcome.addressesTried = tried.all
        if let failure = outcome.failure {
            logger.info("webhook delivery attempt failed", metadata: [
                "webhook.url": "\(request.url)", "webhook.failure": "\(failure.text)",
                "webhook.addresses": "\(outcome.addressesTried.map(\.description))",
            ])
        }
        return outcome
    }

    /// Every hop until an answer that is not a redirect.
    private func follow(
        _ request: WebhookRequest, until due: ContinuousClock.Instant, tried: TriedAddresses, logger: Logger
    ) async -> WebhookSendOutcome {
        var url = request.url
        for hop in 0...max(maxRedirects, 0) {
            let target: PinnedWebhookTarget
            do {
                target = try await PinnedWebhookTarget.check(url, policy: policy, resolver: resolver)
            } catch {
                if Task.isCancelled { return WebhookSendOutcome(failure: .interrupted) }
                logger.warning("webhook target refused", metadata: ["webhook.url": "\(url)", "webhook.reason": "\(error)"])
                return WebhookSendOutcome(failure: .targetRefused)
            }
            let answer: HopAnswer
            do {
                answer = try await exchange(request, with: target, until: due, tried: tried, logger: logger)
            } catch {
                return WebhookSendOutcome(failure: Task.isCancelled ? .interrupted : .networkError)
            }
            guard Self.redirectStatuses.contains(answer.status) else {
                let failure: WebhookDeliveryFailure? = (200..<300).contains(answer.status) ? nil : .httpStatus(answer.status)
                return WebhookSendOutcome(status: answer.status, failure: failure)
            }
            guard hop < maxRedirects else { return WebhookSendOutcome(status: answer.status, failure: .tooManyRedirects) }
            guard let location = answer.location,
                  let next = URL(string: location, relativeTo: URL(string: url))?.absoluteURL.absoluteString else {
                return WebhookSendOutcome(status: answer.status, failure: .httpStatus(answer.status))
            }
            url = next
        }
        return WebhookSendOutcome(failure: .tooManyRedirects)
    }
}

/// The addresses a delivery tried, kept outside its task so a timed-out delivery still reports them.
final class TriedAddresses: @unchecked Sendable {
    private let lock = NSLock()
    private var addresses: [IPAddress] = []

    func append(_ address: IPAddress) { lock.withLock { addresses.append(address) } }
    var all: [IPAddress] { lock.withLock { addresses } }
}
