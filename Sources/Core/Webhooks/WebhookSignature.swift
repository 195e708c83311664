import Crypto
import Foundation

/// Signing as the Standard Webhooks specification says: secrets are `whsec_` + base64 of
/// random bytes; the signature is `v1,` + base64 HMAC-SHA256 of `"{id}.{timestamp}.{body}"`
/// keyed with the decoded secret.
public enum WebhookSignature {
    static let secretPrefix = "whsec_"

    /// A new secret: 32 random bytes.
    public static func newSecret() -> String {
        secretPrefix + Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }).base64EncodedString()
    }

    /// The `webhook-signature` header value for one attempt.
    public static func sign(id: String, timestamp: Int, body: Data, secret: String) throws -> String {
        let encoded = secret.hasPrefix(secretPrefix) ? String(secret.dropFirst(secretPrefix.count)) : secret
        guard let key = Data(base64Encoded: encoded) else { throw WebhookSecretError() }
        var message = Data("\(id).\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// A stored secret that is not `whsec_` + base64 (never written by Context0 itself).
public struct WebhookSecretError: Error, CustomStringConvertible {
    public var description: String { "the webhook secret is not whsec_ followed by base64" }
}
