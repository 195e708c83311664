import Auth
import Core
import Foundation
import Hummingbird
import HTTPTypes
import Postgres

/// Turns `Authorization: Bearer <token>` into an `Identity` — or, for API keys only, mem0's
/// `Authorization: Token <key>` and `X-API-Key: <key>`: a JWT (HS256, `JWT_SECRET`) is
/// checked in memory; an API key must have the shape of one (`c0_` and 40 letters or
/// digits) before the database is asked, and recent answers are kept in an `APIKeyCache`.
/// Every failure is a 401 `APIError`.
struct Authenticator: Sendable {
    let tokens: JSONWebToken
    let pool: PostgresPool
    let keys: APIKeyCache
    let users = UserStore()

    func identity(for request: Request) async throws -> Identity {
        let token = try Self.credential(in: request)
        if token.hasPrefix(APIKey.prefix) {
            guard APIKey.isWellFormed(token) else { throw APIError.invalidToken("malformed API key") }
            return try await identity(forKey: token)
        }
        do {
            let claims = try tokens.verify(token)
            let scopes = try claims.scopes.map(Self.parseScopes) ?? Scope.allButAdmin
            return Identity(userID: claims.sub, organizationID: claims.org_id, scopes: scopes, credential: .jwt)
        } catch let failure as JSONWebToken.Failure {
            throw APIError.invalidToken(failure.description)
        }
    }

    /// The token a request carries, from the first header that holds one.
    static func credential(in request: Request) throws -> String {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            let token = parts.count == 2 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
            switch parts.first?.lowercased() {
            case "bearer" where !token.isEmpty:
                return token
            case "token" where token.hasPrefix(APIKey.prefix):
                return token
            case "token":
                throw APIError.invalidToken("Authorization: Token <key> takes an API key (c0_…); send a JWT as Bearer <token>")
            default:
                throw APIError.invalidToken("the Authorization header must be Bearer <token> or Token <api key>")
            }
        }
        if let key = request.headers[.xAPIKey]?.trimmingCharacters(in: .whitespaces) {
            guard key.hasPrefix(APIKey.prefix) else { throw APIError.invalidToken("X-API-Key takes an API key (c0_…)") }
            return key
        }
        throw APIError.authRequired("missing Authorization header: send Authorization: Bearer <token> (or an API key as X-API-Key)")
    }

    private func identity(forKey key: String) async throws -> Identity {
        let hash = APIKey.hash(key)
        switch keys.lookup(hash) {
        case .live(let identity): return identity
        case .unknown: throw APIError.invalidToken("unknown or revoked API key")
        case .notCached: break
        }
        let record = try await pool.withConnection { [users] in try users.findKey(hash: hash, on: $0) }
        guard let record else {
            keys.remember(hash, identity: nil)
            throw APIError.invalidToken("unknown or revoked API key")
        }
        let scopes = try record.scopes.map(Self.parseScopes) ?? Scope.allButAdmin
        let identity = Identity(
            userID: record.userID, organizationID: record.organizationID, scopes: scopes, credential: .apiKey(id: record.id.uuidString))
        keys.remember(hash, identity: identity)
        return identity
    }

    static func parseScopes(_ names: [String]) throws -> Set<Scope> {
        Set(try names.map { name in
            guard let scope = Scope(rawValue: name) else { throw APIError.invalidToken("unknown scope \"\(name)\" in token") }
            return scope
        })
    }
}

extension HTTPField.Name {
    static let xAPIKey = Self("X-API-Key")!
}
