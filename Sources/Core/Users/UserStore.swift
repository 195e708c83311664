import Auth
import Foundation
import Postgres

/// A user as the admin CLI shows it.
public struct UserRecord: Sendable, Codable, Equatable {
    public var id: String
    public var organizationID: String?
    public var plan: String
    public var disabledAt: Date?
    public var disabledReason: String?
    public var createdAt: Date
    public var lastSeenAt: Date

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        organizationID = try row.decode("organization_id", as: String?.self)
        plan = try row.decode("plan")
        disabledAt = try row.decode("disabled_at", as: Date?.self)
        disabledReason = try row.decode("disabled_reason", as: String?.self)
        createdAt = try row.decode("created_at")
        lastSeenAt = try row.decode("last_seen_at")
    }

    static let columns = "id, organization_id, plan, disabled_at, disabled_reason, created_at, last_seen_at"
}

/// An API key as stored: never the key itself.
public struct APIKeyRecord: Sendable, Codable, Equatable {
    public var id: UUID
    public var userID: String
    public var organizationID: String?
    public var name: String
    /// Nil means every scope but admin.
    public var scopes: [String]?
    public var keyPrefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        userID = try row.decode("user_id")
        organizationID = try row.decode("organization_id", as: String?.self)
        name = try row.decode("name")
        scopes = try row.decode("scopes", as: [String]?.self)
        keyPrefix = try row.decode("key_prefix")
        createdAt = try row.decode("created_at")
        lastUsedAt = try row.decode("last_used_at", as: Date?.self)
        revokedAt = try row.decode("revoked_at", as: Date?.self)
    }

    static let columns = "id, user_id, organization_id, name, scopes, key_prefix, created_at, last_used_at, revoked_at"
}

/// Every statement on `users` and `api_keys`.
public struct UserStore: Sendable {
    public init() {}

    /// The live (unrevoked) key with this hash.
    public func findKey(hash: Data, on connection: PostgresConnection) throws -> APIKeyRecord? {
        // A read, and a write only when `last_used_at` is more than a minute old: a key used
        // many times a second must not turn every request into a row update.
        try connection.query("""
            WITH found AS (
                SELECT \(unsafeRaw: APIKeyRecord.columns) FROM api_keys WHERE key_hash = \(hash) AND revoked_at IS NULL
            ), touched AS (
                UPDATE api_keys SET last_used_at = now()
                WHERE key_hash = \(hash) AND revoked_at IS NULL
                  AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
            )
            SELECT * FROM found
            """).first.map(APIKeyRecord.init(row:))
    }

    /// Creates a key for a user (creating the user if needed); returns its record and the
    /// key itself, which is not stored and cannot be shown again.
    public func createKey(
        userID: String, organizationID: String?, name: String, scopes: [Scope]?, on connection: PostgresConnection
    ) throws -> (record: APIKeyRecord, key: String) {
        let key = APIKey.generate()
        try connection.query("INSERT INTO users (id, organization_id) VALUES (\(userID), \(organizationID)) ON CONFLICT (id) DO NOTHING")
        let row = try connection.query("""
            INSERT INTO api_keys (id, user_id, organization_id, name, scopes, key_hash, key_prefix)
            VALUES (\(UUID()), \(userID), \(organizationID), \(name), \(scopes.map { $0.map(\.rawValue) }),
                    \(APIKey.hash(key)), \(String(key.prefix(10))))
            RETURNING \(unsafeRaw: APIKeyRecord.columns)
            """).first!
        return (try APIKeyRecord(row: row), key)
    }

    /// Revokes a key; false if there is no such live key.
    public func revokeKey(id: UUID, on connection: PostgresConnection) throws -> Bool {
        try connection.query("UPDATE api_keys SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL").affectedRows == 1
    }

    /// Every key of a user, or of all users when `userID` is nil, revoked ones included, oldest
    /// first.
    public func keys(userID: String?, on connection: PostgresConnection) throws -> [APIKeyRecord] {
        try connection.query("""
            SELECT \(unsafeRaw: APIKeyRecord.columns) FROM api_keys
            WHERE \(userID)::text IS NULL OR user_id = \(userID) ORDER BY created_at
            """).rows.map(APIKeyRecord.init(row:))
    }

    /// The first `limit` users, oldest first.
    public func users(limit: Int, on connection: PostgresConnection) throws -> [UserRecord] {
        try connection.query("SELECT \(unsafeRaw: UserRecord.columns) FROM users ORDER BY created_at LIMIT \(limit)")
            .rows.map(UserRecord.init(row:))
    }

    /// Disables or enables a user; false if there is no such user.
    public func setDisabled(_ disabled: Bool, userID: String, reason: String?, on connection: PostgresConnection) throws -> Bool {
        try connection.query("""
            UPDATE users SET disabled_at = CASE WHEN \(disabled) THEN coalesce(disabled_at, now()) END,
                             disabled_reason = CASE WHEN \(disabled) THEN \(reason) END
            WHERE id = \(userID)
            """).affectedRows == 1
    }
}
