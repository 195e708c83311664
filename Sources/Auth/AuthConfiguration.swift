import Foundation

/// Where tokens' signing secret comes from: `JWT_SECRET`, or in development the secret
/// `make run` generates once (`ProjectLayout.developmentJWTSecret`).
public struct AuthConfiguration: Sendable {
    public let jwtSecret: String

    public init(jwtSecret: String) {
        self.jwtSecret = jwtSecret
    }

    /// `JWT_SECRET`, else `developmentSecret`; nil when there is neither.
    public init?(environment: [String: String], developmentSecret: String?) {
        guard let secret = environment["JWT_SECRET"].flatMap({ $0.isEmpty ? nil : $0 }) ?? developmentSecret else { return nil }
        jwtSecret = secret
    }
}
