/// What a token may do. A token without a `scopes` claim has every scope but `admin`.
public enum Scope: String, Sendable, Codable, CaseIterable {
    case contextRead = "context:read"
    case contextWrite = "context:write"
    case memoriesRead = "memories:read"
    case memoriesWrite = "memories:write"
    case chat
    case qa
    case analyticsRead = "analytics:read"
    case billingRead = "billing:read"
    case webhooksManage = "webhooks:manage"
    case admin

    /// Every scope a token without a `scopes` claim gets.
    public static let allButAdmin: Set<Scope> = Set(allCases.filter { $0 != .admin })
}

/// Who is calling: the token's user, in the token's organization if it has one.
public struct Identity: Sendable, Equatable {
    public enum Credential: Sendable, Equatable {
        case jwt
        case apiKey(id: String)
    }

    public let userID: String
    public let organizationID: String?
    public let scopes: Set<Scope>
    public let credential: Credential

    public init(userID: String, organizationID: String?, scopes: Set<Scope>, credential: Credential) {
        self.userID = userID
        self.organizationID = organizationID
        self.scopes = scopes
        self.credential = credential
    }

    public func has(_ scope: Scope) -> Bool { scopes.contains(scope) }
}
