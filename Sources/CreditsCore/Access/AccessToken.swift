/// A bearer token as stored: never its secret, only what it may do and whether it still works.
public struct AccessToken: Hashable, Sendable {
    public let id: String
    public let name: String
    /// `nil` only for operator tokens, which reach every tenant.
    public let tenantId: TenantId?
    public let scopes: Set<Scope>
    public let createdAt: Instant
    /// After this the token no longer works.
    public let expiresAt: Instant
    public var revokedAt: Instant?

    public init(
        id: String,
        name: String,
        tenantId: TenantId?,
        scopes: Set<Scope>,
        createdAt: Instant,
        expiresAt: Instant,
        revokedAt: Instant? = nil
    ) {
        self.id = id
        self.name = name
        self.tenantId = tenantId
        self.scopes = scopes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Our rule: a token lives 90 days unless made for fewer or more, at most a year; a new
    /// one replaces it before then.
    public static let defaultLifetimeDays: Int64 = 90
    public static let maximumLifetimeDays: Int64 = 365

    /// `days` when it is 1 to a year; a refusal otherwise.
    public static func checkedLifetime(days: Int64) throws(Refusal) -> Int64 {
        guard (1...maximumLifetimeDays).contains(days) else {
            throw Refusal.invalid(.invalidExpiresInDays, "A token lives 1 to \(maximumLifetimeDays) days, not \(days).")
        }
        return days
    }

    /// Whether the token works at `now`: not revoked, not expired.
    public func works(at now: Instant) -> Bool {
        revokedAt == nil && now < expiresAt
    }

    /// A token is for one tenant, but an operator's and a telephony platform's: an operator's
    /// is for none, and a platform's (only `calls` and `usage`) may be for every tenant, which
    /// only an operator makes. `maker`, when given, is the caller making it, who may give no
    /// permission it lacks, but for the platform's, which whoever administers the tenant gives
    /// to its platform.
    public static func validate(tenantId: TenantId?, scopes: Set<Scope>, madeBy maker: Principal? = nil) throws(Refusal) {
        if scopes.contains(.operator) {
            guard tenantId == nil else {
                throw Refusal.invalid(.invalidScopes, "An operator token reaches every tenant; create it without a tenant.")
            }
        } else if tenantId == nil {
            guard scopes.isSubset(of: Scope.platform) else {
                throw Refusal.invalid(
                    .invalidTenant,
                    "Name the tenant this token is for (only operator tokens and a telephony platform's calls and usage tokens reach every tenant)."
                )
            }
            if let maker, maker.tenantId != nil || !maker.permissions.contains(.operate) { throw Refusal.forbidden(.operate) }
        }
        if let maker {
            var mayGive = maker.permissions
            if mayGive.contains(.administerTenant) { mayGive.formUnion([.chargeCalls, .uploadUsage]) }
            let given = scopes.reduce(into: Set<Permission>()) { $0.formUnion($1.permissions) }
            guard given.isSubset(of: mayGive) else { throw Refusal.grantBeyondOwnRights }
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
