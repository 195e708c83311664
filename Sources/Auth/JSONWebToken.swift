import Crypto
import Foundation

/// HS256 JSON Web Tokens: the only algorithm accepted. Anything else (`none`, RS256, a
/// header that does not say HS256) is refused before the signature is even looked at.
public struct JSONWebToken: Sendable {
    /// The claims Context0 reads.
    public struct Claims: Codable, Sendable, Equatable {
        public var sub: String
        /// The caller's organization; absent for a user in none. Never empty: an empty id
        /// would be an organization of its own that every such token shares.
        public var org_id: String?
        public var scopes: [String]?
        /// Seconds since the epoch; RFC 7519 allows fractions.
        public var exp: Double
        public var iat: Double?
        /// Not valid before this time (seconds since the epoch), when present.
        public var nbf: Double?

        public init(sub: String, org_id: String? = nil, scopes: [String]? = nil, exp: Double, iat: Double? = nil, nbf: Double? = nil) {
            self.sub = sub
            self.org_id = org_id
            self.scopes = scopes
            self.exp = exp
            self.iat = iat
            self.nbf = nbf
        }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed
        case unsupportedAlgorithm
        case badSignature
        case expired
        case notYetValid
        case invalidClaims(String)

        public var description: String {
            switch self {
            case .malformed: "the token is not a well-formed JWT"
            case .unsupportedAlgorithm: "only HS256 tokens are accepted"
            case .badSignature: "the token's signature does not verify"
            case .expired: "the token has expired"
            case .notYetValid: "the token is not valid yet (nbf is in the future)"
            case .invalidClaims(let why): "the token's claims are invalid: \(why)"
            }
        }
    }

    /// How far in the future `nbf` may be and the token still count: an issuer whose clock
    /// runs a little ahead stamps `nbf` = now, and its clients use the token at once.
    public static let notBeforeLeeway: Double = 30

    private let key: SymmetricKey

    public init(secret: String) {
        key = SymmetricKey(data: Data(secret.utf8))
    }

    /// A signed token for `claims`.
    public func sign(_ claims: Claims) throws -> String {
        let header = Base64URL.encode(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let payload = Base64URL.encode(try encoder.encode(claims))
        let signature = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(payload)".utf8), using: key)
        return "\(header).\(payload).\(Base64URL.encode(Data(signature)))"
    }

    /// The claims of a valid token: unexpired, past its `nbf` (if any), with a non-empty
    /// `sub` and, if present, a non-empty `org_id`.
    public func verify(_ token: String, now: Date = Date()) throws(Failure) -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(parts[0]),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any]
        else { throw .malformed }
        guard header["alg"] as? String == "HS256" else { throw .unsupportedAlgorithm }
        guard let signature = Base64URL.decode(parts[2]),
              HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: key)
        else { throw .badSignature }
        guard let payload = Base64URL.decode(parts[1]) else { throw .malformed }
        let claims: Claims
        do {
            claims = try JSONDecoder().decode(Claims.self, from: payload)
        } catch {
            throw .invalidClaims("sub (string) and exp (number) are required; org_id is a string, scopes strings, iat and nbf numbers")
        }
        guard (1...256).contains(claims.sub.unicodeScalars.count) else { throw .invalidClaims("sub must be 1-256 characters") }
        // Refused rather than read as "no organization": the issuer meant something, and
        // guessing what would hand the token a tenant it may not have been given.
        if let organization = claims.org_id, !(1...256).contains(organization.unicodeScalars.count) {
            throw .invalidClaims("org_id must be 1-256 characters when present")
        }
        guard claims.exp > now.timeIntervalSince1970 else { throw .expired }
        if let notBefore = claims.nbf, notBefore > now.timeIntervalSince1970 + Self.notBeforeLeeway { throw .notYetValid }
        return claims
    }
}

/// Base64 with the URL-safe alphabet and no padding, as JWTs use it.
enum Base64URL {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
