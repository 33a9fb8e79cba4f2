/// Who is asking: a bearer token or a signed-in administrator, bound to one tenant or (the
/// operator, a telephony platform's token) to all, with what it may do there.
public struct Principal: Hashable, Sendable {
    public enum Credential: Hashable, Sendable {
        /// A bearer token, by its id (never its secret).
        case token(id: String)
        /// An administrator's browser session.
        case session(UserPrincipalName)
    }

    public let credential: Credential
    /// `nil` for an operator or a telephony platform, which act on every tenant.
    public let tenantId: TenantId?
    public let permissions: Set<Permission>

    public init(credential: Credential, tenantId: TenantId?, permissions: Set<Permission>) {
        self.credential = credential
        self.tenantId = tenantId
        self.permissions = permissions
    }

    public init(token: AccessToken) {
        self.init(
            credential: .token(id: token.id),
            tenantId: token.tenantId,
            permissions: token.scopes.reduce(into: []) { $0.formUnion($1.permissions) }
        )
    }

    public init(administrator user: User, of tenantId: TenantId) {
        self.init(
            credential: .session(user.upn),
            tenantId: tenantId,
            permissions: user.roles.reduce(into: []) { $0.formUnion($1.permissions) }
        )
    }

    /// Whether this caller sees `tenant` at all. Another tenant's things are answered as unknown
    /// (404), never as forbidden, so that their existence is not revealed.
    public func sees(_ tenant: TenantId) -> Bool {
        tenantId == nil || tenantId == tenant
    }

    /// Allows `permission` in `tenant`, or refuses: `unknownTenant` for a tenant it does not
    /// see, `forbidden` for what it may not do there.
    public func authorize(_ permission: Permission, in tenant: TenantId) throws(Refusal) {
        guard sees(tenant) else { throw Refusal.unknownTenant(tenant) }
        guard permissions.contains(permission) else { throw Refusal.forbidden(permission) }
    }

    /// Allows what only an operator does: what reaches beyond one tenant.
    public func authorizeOperator() throws(Refusal) {
        guard tenantId == nil, permissions.contains(.operate) else { throw Refusal.forbidden(.operate) }
    }

    /// Whether this caller holds every right of `roles`: nobody gives a role, sets the password
    /// of, or removes an administrator, with rights beyond their own (our rule).
    public func holdsEveryRight(of roles: Set<Role>) -> Bool {
        roles.reduce(into: Set<Permission>()) { $0.formUnion($1.permissions) }.isSubset(of: permissions)
    }

    /// Allows giving `roles` or acting on a user who holds them, or refuses `grantBeyondOwnRights`.
    public func authorizeActing(onHolderOf roles: Set<Role>) throws(Refusal) {
        guard holdsEveryRight(of: roles) else { throw Refusal.grantBeyondOwnRights }
    }

    /// Whether this caller reads `tenant`'s own record. A platform token reaches every tenant
    /// for its calls only, so it reads no tenant.
    public func reads(_ tenant: TenantId) -> Bool {
        sees(tenant) && (tenantId != nil || permissions.contains(.operate))
    }

    /// Allows reading what any caller of `tenant` may read (the tenant itself, rates).
    public func authorizeAny(in tenant: TenantId) throws(Refusal) {
        guard reads(tenant) else { throw Refusal.unknownTenant(tenant) }
    }
}

extension Refusal {
    public static func forbidden(_ permission: Permission) -> Refusal {
        let who: String =
            switch permission {
            case .operate: "an operator token"
            case .administerTenant: "a Global Administrator or a token with the tenant.admin scope"
            case .manageUsers: "a Global or User Administrator or a token with the tenant.admin scope"
            case .buy: "a Global or Billing Administrator or a token with the billing scope"
            case .assignLicenses: "a Global, License or User Administrator or a token with the licenses scope"
            case .readBilling:
                "a Global, Billing, License, User, Teams or Teams Communications Administrator, or a token with the reports or billing scope"
            case .chargeCalls: "a token with the calls scope (the telephony platform)"
            case .uploadUsage: "a token with the usage scope"
            }
        return Refusal(.forbidden, detail: "This needs \(who).")
    }

    public static let grantBeyondOwnRights = Refusal(
        .grantBeyondOwnRights,
        detail: "Nobody may give rights they do not hold, or set the password of, or change, an administrator with more rights.",
        remedy: "Ask a Global Administrator."
    )

    public static let unauthenticated = Refusal(
        .unauthenticated,
        detail: "Sign in, or send Authorization: Bearer <token> with a token from `commscredits tokens create`."
    )
}
