import Foundation

/// Which addresses a webhook delivery may connect to.
public struct WebhookAddressPolicy: Sendable {
    /// Passed to `WebhookURL.validate`: local names and internal IP literals pass the URL check.
    public let allowsPrivateURLs: Bool
    private let refusal: @Sendable (IPAddress) -> Bool

    /// A policy refusing the addresses `refuses` says (tests refuse chosen loopback addresses,
    /// since loopback is all they have).
    public init(allowsPrivateURLs: Bool, refuses: @escaping @Sendable (IPAddress) -> Bool) {
        self.allowsPrivateURLs = allowsPrivateURLs
        self.refusal = refuses
    }

    /// Whether a delivery must not connect to `address`.
    public func refuses(_ address: IPAddress) -> Bool { refusal(address) }

    /// The default: nothing internal (`IPAddress.isInternal`), by literal or by name.
    public static let publicOnly = WebhookAddressPolicy(allowsPrivateURLs: false) { $0.isInternal }
    /// `WEBHOOK_ALLOW_PRIVATE=1`: any address (development and tests).
    public static let anyAddress = WebhookAddressPolicy(allowsPrivateURLs: true) { _ in false }
}

/// One hop's URL after the SSRF check: its host resolved once, every address checked. The
/// delivery connects to these addresses only; the HTTP client never resolves the name itself.
public struct PinnedWebhookTarget: Sendable, Equatable {
    public let url: String
    /// The host exactly as async-http-client reads it from `url` (`URL.host`, IPv6 brackets
    /// trimmed): the key of its DNS override, which must match for the pin to hold.
    public let host: String
    /// The checked addresses, in the order to try them.
    public let addresses: [IPAddress]
    /// The host is an IP literal, which the HTTP client connects to without resolving.
    public let hostIsLiteral: Bool

    /// The HTTP client's `dnsOverride` connecting to `address`: the client still sends the name
    /// in `Host` and as TLS SNI, and verifies the certificate for the name.
    public func dnsOverride(to address: IPAddress) -> [String: String] {
        hostIsLiteral ? [:] : [host: address.description]
    }

    /// Validates `url`, resolves its host once with `resolver` and checks every address
    /// against `policy`. Throws `WebhookTargetRefused` (the reason is for the server log, never
    /// for the delivery log), or `CancellationError` when the delivery's deadline passed.
    public static func check(
        _ url: String, policy: WebhookAddressPolicy, resolver: any WebhookResolver
    ) async throws -> PinnedWebhookTarget {
        if case .failure(let refusal) = WebhookURL.validate(url, allowPrivate: policy.allowsPrivateURLs) {
            throw WebhookTargetRefused(refusal.description)
        }
        guard let host = URL(string: url)?.host.map(trimmingIPv6Brackets), !host.isEmpty else {
            throw WebhookTargetRefused("\(url) has no host")
        }
        let literal = IPAddress(host)
        let addresses: [IPAddress]
        if let literal {
            addresses = [literal]
        } else {
            do {
                addresses = try await resolver.addresses(of: host)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw WebhookTargetRefused("\(error)")
            }
        }
        guard !addresses.isEmpty else { throw WebhookTargetRefused("\(host) has no address") }
        // One internal answer refuses the name: trying only its public addresses would still let
        // its owner steer which one is used.
        if let refused = addresses.first(where: policy.refuses) {
            throw WebhookTargetRefused("\(host) resolves to \(refused), which deliveries may not reach")
        }
        return PinnedWebhookTarget(url: url, host: host, addresses: addresses, hostIsLiteral: literal != nil)
    }

    /// As async-http-client trims them (`DeconstructedURL`), so the override key matches.
    private static func trimmingIPv6Brackets(_ host: String) -> String {
        var trimmed = Substring(host)
        if trimmed.first == "[" { trimmed = trimmed.dropFirst() }
        if trimmed.last == "]" { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}

/// A hop's target refused by the SSRF check. The reason names addresses and resolver answers,
/// so it goes to the server log only; the delivery log says "target refused".
public struct WebhookTargetRefused: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
