public import CreditsCore

/// Where tenants and their users live. Bulk changes are all or nothing: every line is judged
/// first, inside the transaction that would write it, and any refusal writes nothing.
public protocol DirectoryStore: Sendable {
    /// Refuses a tenant id already taken with `tenantExists`.
    func createTenant(_ tenant: Tenant) async throws
    func tenant(_ id: TenantId) async throws -> Tenant?
    /// Replaces what may change of an existing tenant (not its id, currency or creation time).
    func updateTenant(_ tenant: Tenant) async throws
    func tenants() async throws -> [Tenant]

    /// Adds new users; throws `RefusedLines` naming each one whose sign-in name is taken or whose
    /// licenses break the rules. `creditsLicenseAvailable`: see `LicenseRules.apply`.
    func addUsers(_ users: [NumberedLine<User>], to tenantId: TenantId, creditsLicenseAvailable: Bool) async throws

    /// Applies each line's change by `LicenseRules`; throws `RefusedLines` naming each unknown
    /// user and each refused change. Reports progress in lines judged; returns the users as changed.
    func changeLicenses(
        _ changes: [NumberedLine<UserLicenseChange>],
        in tenantId: TenantId,
        creditsLicenseAvailable: Bool,
        progress: @Sendable (Int) -> Void
    ) async throws -> [User]

    func user(_ upn: UserPrincipalName, in tenantId: TenantId) async throws -> User?
    /// Replaces the administrative units `upn` is in; `Refusal.unknownUser` when there is no such user.
    func setAdministrativeUnits(_ units: Set<AdministrativeUnit>, of upn: UserPrincipalName, in tenantId: TenantId) async throws -> User
    /// Users in sign-in name order, after `after` when given, up to `limit`.
    func users(in tenantId: TenantId, after: UserPrincipalName?, limit: Int) async throws -> [User]

    /// Assigns each line's number or SIP address in `tenantId`, moving it from its holder there
    /// if it had one; throws `RefusedLines` naming each one held by another tenant and each
    /// unknown user (`NumberAssignment.judge`).
    func assign(_ assignments: [NumberedLine<NumberAssignment>], in tenantId: TenantId) async throws
    /// Releases `identity` in `tenantId`; false when the tenant did not hold it.
    func unassign(_ identity: DirectoryIdentity, in tenantId: TenantId) async throws -> Bool
    /// Who holds `identity`, in whichever tenant.
    func assignment(of identity: DirectoryIdentity) async throws -> NumberAssignment?
    /// The tenant's assignments (of `holder` alone, when given) in identity order, after `after`.
    func assignments(in tenantId: TenantId, holder: NumberHolder?, after: DirectoryIdentity?, limit: Int) async throws -> [NumberAssignment]
}

public struct UserLicenseChange: Hashable, Sendable {
    public let upn: UserPrincipalName
    public let change: LicenseChange

    public init(upn: UserPrincipalName, change: LicenseChange) {
        self.upn = upn
        self.change = change
    }
}

extension Refusal {
    public static func tenantExists(_ id: TenantId) -> Refusal {
        Refusal(.tenantExists, detail: "A tenant with id '\(id)' already exists; choose another id.")
    }

    public static func userExists(_ upn: UserPrincipalName) -> Refusal {
        Refusal(.userExists, detail: "A user signing in as \(upn) already exists in this tenant.")
    }
}

extension DirectoryStore {
    /// Every user of the tenant, read a thousand at a time.
    public func allUsers(in tenantId: TenantId) async throws -> [User] {
        var users: [User] = []
        while true {
            let page = try await self.users(in: tenantId, after: users.last?.upn, limit: 1000)
            users += page
            if page.count < 1000 { return users }
        }
    }
}
