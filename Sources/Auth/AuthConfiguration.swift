import Foundation
import Postgres

/// Where tokens' signing secret comes from: `JWT_SECRET`, or in development the secret
/// generated once per data folder, `.data/jwt-secret` (made by `make run`/`make test`).
public struct AuthConfiguration: Sendable {
    public let jwtSecret: String

    public init(jwtSecret: String) {
        self.jwtSecret = jwtSecret
    }

    /// Nil when neither `JWT_SECRET` nor a development secret exists.
    public init?(environment: [String: String]) {
        if let secret = environment["JWT_SECRET"], !secret.isEmpty {
            jwtSecret = secret
            return
        }
        for folder in ProjectFolders.searchOrder {
            let file = folder.appendingPathComponent(".data/jwt-secret")
            if let secret = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
               !secret.isEmpty {
                jwtSecret = secret
                return
            }
        }
        return nil
    }
}
