import Foundation

/// Where a webhook may send: an `http`/`https` URL without credentials, whose host is not a
/// loopback, private, link-local, shared, multicast, reserved or metadata address (unless
/// private targets are allowed). Names are checked once resolved, at delivery, and the delivery
/// connects to exactly the checked address (`PinnedWebhookTarget`, `WebhookSender`).
public enum WebhookURL {
    public static let maxLength = 2048

    /// The parsed URL, or why it is refused. With `allowPrivate` false, IP literals and
    /// `localhost` names are checked here already.
    public static func validate(_ text: String, allowPrivate: Bool) -> Result<URL, WebhookTargetError> {
        guard text.utf8.count <= maxLength, let components = URLComponents(string: text), let url = components.url else {
            return .failure(.init("url must be an absolute http or https URL of at most \(maxLength) characters"))
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return .failure(.init("url must use http or https"))
        }
        guard let host = components.host, !host.isEmpty else { return .failure(.init("url has no host")) }
        guard components.user == nil, components.password == nil else {
            return .failure(.init("url must not contain a user name or password"))
        }
        if !allowPrivate {
            let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]."))
            if name == "localhost" || name.hasSuffix(".localhost") || name == "metadata.google.internal" {
                return .failure(.init("url points at a local or internal host; set WEBHOOK_ALLOW_PRIVATE=1 to allow it"))
            }
            if let address = IPAddress(name) ?? IPAddress(looseIPv4: name), address.isInternal {
                return .failure(.init("url points at a private, loopback, link-local or metadata address; set WEBHOOK_ALLOW_PRIVATE=1 to allow it"))
            }
        }
        return .success(url)
    }
}

/// A refused webhook target, with the reason.
public struct WebhookTargetError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An IPv4 or IPv6 address, classified for the SSRF guard.
public struct IPAddress: Sendable, Equatable, CustomStringConvertible {
    /// 4 or 16 bytes, network order.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses a dotted IPv4 or an IPv6 literal.
    public init?(_ text: String) {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    /// The IPv4 forms `inet_aton` (and so resolvers) also accept: `2130706433`, `0x7f.1`,
    /// `127.1`, `0177.0.0.1`.
    public init?(looseIPv4 text: String) {
        var address = in_addr()
        guard !text.isEmpty, text.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == "x" || $0 == "X" }),
              inet_aton(text, &address) != 0 else { return nil }
        self.bytes = withUnsafeBytes(of: &address) { Array($0) }
    }

    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    /// True for addresses a webhook must not reach: unspecified, loopback, private (RFC 1918,
    /// IPv6 unique local), carrier-grade NAT, link-local (where cloud metadata services
    /// live), multicast, broadcast and reserved ranges, also inside IPv4-mapped and NAT64
    /// IPv6 addresses.
    public var isInternal: Bool {
        if bytes.count == 4 { return Self.isInternalV4(bytes) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return Self.isInternalV4(Array(bytes[12...]))  // ::ffff:a.b.c.d
        }
        if bytes[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0][...] {
            return Self.isInternalV4(Array(bytes[12...]))  // 64:ff9b::a.b.c.d (NAT64)
        }
        if bytes[0..<6] == [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01][...] { return true }  // 64:ff9b:1::/48, local-use NAT64
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return true }  // ::, ::1 and IPv4-compatible ::a.b.c.d
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0xc0 { return true }  // fec0::/10, old site-local
        if bytes[0] & 0xfe == 0xfc { return true }  // fc00::/7 unique local
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return true }  // fe80::/10 link-local
        if bytes[0] == 0xff { return true }  // multicast
        return false
    }

    private static func isInternalV4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): return true
        case (100, 64...127): return true  // carrier-grade NAT
        case (169, 254): return true  // link-local, cloud metadata
        case (172, 16...31), (192, 168): return true
        case (192, 0) where b[2] == 0: return true  // IETF protocol assignments
        case (198, 18...19): return true  // benchmarking
        case (224...255, _): return true  // multicast, reserved, broadcast
        default: return false
        }
    }
}
