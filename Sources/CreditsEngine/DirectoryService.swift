public import CreditsCore
public import CreditsStore

/// Tenants, users, licenses and numbers: checks what the rules of `DOMAIN.md` sections 2 and 3 say and
/// writes through the stores.
public struct DirectoryService: Sendable {
    let stores: Stores
    let clock: any CreditsClock

    public init(stores: Stores, clock: any CreditsClock) {
        self.stores = stores
        self.clock = clock
    }

    /// Creates the tenant and opens its credits account in its currency.
    public func createTenant(_ tenant: Tenant) async throws {
        try await stores.directory.createTenant(tenant)
        try await stores.ledger.openAccount(tenant.id, currency: tenant.currency, at: tenant.createdAt)
    }

    public func tenant(_ id: TenantId) async throws -> Tenant {
        guard let tenant = try await stores.directory.tenant(id) else { throw Refusal.unknownTenant(id) }
        return tenant
    }

    /// Changes what may change of a tenant; nil fields stay as they are.
    public func updateTenant(
        _ id: TenantId,
        name: String? = nil,
        country: CountryCode? = nil,
        channel: SalesChannel? = nil,
        commerceModel: CommerceModel? = nil,
        agreements: [EnterpriseAgreement]? = nil,
        usageRetention: UsageRetention? = nil
    ) async throws -> Tenant {
        var tenant = try await tenant(id)
        if let name { tenant.name = try Tenant.checkedName(name) }
        if let country { tenant.country = country }
        if let usageRetention { tenant.usageRetention = usageRetention }
        let account = tenant.billingAccount
        let newChannel = channel ?? account.channel
        // Leaving Volume Licensing leaves its agreements behind.
        let newAgreements = agreements ?? (newChannel == .volumeLicensing ? account.agreements : [])
        tenant.billingAccount = try BillingAccount(
            channel: newChannel,
            commerceModel: commerceModel ?? account.commerceModel,
            agreements: newAgreements
        )
        try await stores.directory.updateTenant(tenant)
        return tenant
    }

    public func tenants() async throws -> [Tenant] {
        try await stores.directory.tenants()
    }

    /// The tenant's users in name order, `limit` after `after`.
    public func users(in tenantId: TenantId, after: UserPrincipalName?, limit: Int) async throws -> [User] {
        try await stores.directory.users(in: tenantId, after: after, limit: limit)
    }

    /// Every user of the tenant.
    public func allUsers(in tenantId: TenantId) async throws -> [User] {
        try await stores.directory.allUsers(in: tenantId)
    }

    public func addUsers(_ users: [NumberedLine<User>], to tenantId: TenantId) async throws {
        let available = try await creditsLicenseAvailable(tenantId)
        try await stores.directory.addUsers(users, to: tenantId, creditsLicenseAvailable: available)
    }

    /// Adds one user; a refusal is thrown as its `Refusal`.
    public func addUser(_ user: User, to tenantId: TenantId) async throws {
        try await Self.single { try await addUsers([NumberedLine(line: 1, value: user)], to: tenantId) }
    }

    public func changeLicenses(
        _ changes: [NumberedLine<UserLicenseChange>],
        in tenantId: TenantId,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> [User] {
        let available = try await creditsLicenseAvailable(tenantId)
        return try await stores.directory.changeLicenses(changes, in: tenantId, creditsLicenseAvailable: available, progress: progress)
    }

    /// Changes one user's licenses; a refusal is thrown as its `Refusal`.
    public func changeLicenses(of upn: UserPrincipalName, in tenantId: TenantId, _ change: LicenseChange) async throws -> User {
        try await Self.single {
            try await changeLicenses([NumberedLine(line: 1, value: UserLicenseChange(upn: upn, change: change))], in: tenantId)[0]
        }
    }

    /// Replaces the administrative units `upn` is in.
    public func setAdministrativeUnits(_ units: Set<AdministrativeUnit>, of upn: UserPrincipalName, in tenantId: TenantId) async throws -> User {
        _ = try await tenant(tenantId)
        return try await stores.directory.setAdministrativeUnits(units, of: upn, in: tenantId)
    }

    public func user(_ upn: UserPrincipalName, in tenantId: TenantId) async throws -> User {
        _ = try await tenant(tenantId)
        guard let user = try await stores.directory.user(upn, in: tenantId) else { throw Refusal.unknownUser(upn.rawValue) }
        return user
    }

    // MARK: Numbers and SIP addresses

    /// Assigns every line's number or SIP address in `tenantId`, all or none; throws
    /// `RefusedLines` naming each refused line.
    public func assign(_ assignments: [NumberedLine<NumberAssignment>], in tenantId: TenantId) async throws {
        _ = try await tenant(tenantId)
        try await stores.directory.assign(assignments, in: tenantId)
    }

    /// Assigns one number or SIP address; a refusal is thrown as its `Refusal`.
    public func assign(_ identity: DirectoryIdentity, to holder: NumberHolder, in tenantId: TenantId) async throws -> NumberAssignment {
        let assignment = NumberAssignment(identity: identity, tenantId: tenantId, holder: holder)
        try await Self.single { try await assign([NumberedLine(line: 1, value: assignment)], in: tenantId) }
        return assignment
    }

    /// Releases a number or SIP address the tenant holds; `unknownNumber` when it holds none such.
    public func unassign(_ identity: DirectoryIdentity, in tenantId: TenantId) async throws {
        _ = try await tenant(tenantId)
        guard try await stores.directory.unassign(identity, in: tenantId) else { throw Refusal.unknownNumber(identity) }
    }

    public func assignments(
        in tenantId: TenantId,
        holder: NumberHolder? = nil,
        after: DirectoryIdentity? = nil,
        limit: Int = 1000
    ) async throws -> [NumberAssignment] {
        _ = try await tenant(tenantId)
        return try await stores.directory.assignments(in: tenantId, holder: holder, after: after, limit: limit)
    }

    /// The Communications Credits license is there to assign once the tenant has funded its
    /// balance (`DOMAIN.md` section 3), or when it pays after use.
    func creditsLicenseAvailable(_ tenantId: TenantId) async throws -> Bool {
        let tenant = try await tenant(tenantId)
        if tenant.billingAccount.commerceModel.isPostUsage { return true }
        return try await !stores.ledger.statement(for: tenantId, at: clock.now()).lots.isEmpty
    }

    /// Runs a one-line bulk operation, turning its one refused line back into the plain refusal.
    private static func single<Value>(_ operation: () async throws -> Value) async throws -> Value {
        do {
            return try await operation()
        } catch let refused as RefusedLines where refused.lines.count == 1 {
            throw refused.lines[0].error
        }
    }
}
