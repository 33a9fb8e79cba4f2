/// A bearer token as stored: never its secret, only what it may do and whether it still works.
public struct AccessToken: Hashable, Sendable {
    public let id: String
    public let name: String
    /// `nil` only for operator tokens, which reach every tenant.
    public let tenantId: TenantId?
    public let scopes: Set<Scope>
    public let createdAt: Instant
    public var revokedAt: Instant?

    public init(id: String, name: String, tenantId: TenantId?, scopes: Set<Scope>, createdAt: Instant, revokedAt: Instant? = nil) {
        self.id = id
        self.name = name
        self.tenantId = tenantId
        self.scopes = scopes
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    /// A token is for one tenant unless it is an operator's, and an operator's is for none.
    public static func validate(tenantId: TenantId?, scopes: Set<Scope>) throws(BillingError) {
        if scopes.contains(.operator) {
            guard tenantId == nil else {
                throw BillingError.invalid("scopes", "An operator token reaches every tenant; create it without a tenant.")
            }
        } else if tenantId == nil {
            throw BillingError.invalid("tenant", "Name the tenant this token is for (only operator tokens reach every tenant).")
        }
    }
}

/// An administrator signed in through a browser: the cookie names it (by a hash of its secret),
/// and every form post must carry its `csrfToken`.
public struct AdminSession: Hashable, Sendable {
    public let tenantId: TenantId
    public let upn: UserPrincipalName
    public let csrfToken: String
    public let createdAt: Instant
    public let expiresAt: Instant

    public init(tenantId: TenantId, upn: UserPrincipalName, csrfToken: String, createdAt: Instant, expiresAt: Instant) {
        self.tenantId = tenantId
        self.upn = upn
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
