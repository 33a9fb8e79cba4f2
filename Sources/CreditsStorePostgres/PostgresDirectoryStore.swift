public import CreditsCore
public import CreditsStore
import Logging
import PostgresNIO

/// Tenants and users in PostgreSQL. A bulk change locks the tenant's row, so that two changes
/// to one tenant's users are judged one after the other.
public final class PostgresDirectoryStore: DirectoryStore {
    let database: PostgresDatabase

    init(database: PostgresDatabase) {
        self.database = database
    }

    public func createTenant(_ tenant: Tenant) async throws {
        try await database.transaction { c in
            let account = tenant.billingAccount
            let created = try await c.run(
                """
                INSERT INTO tenant (id, name, country, currency, channel, commerce_model, agreements, created_at, usage_retention_days)
                VALUES (\(tenant.id.rawValue), \(tenant.name), \(tenant.country.rawValue), \(tenant.currency.code), \(account.channel.rawValue),
                        \(account.commerceModel.rawValue), \(StoredValues.json(account.agreements)), \(tenant.createdAt.millisecondsSinceEpoch),
                        \(Int64(tenant.usageRetention.days)))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """
            )
            guard created == 1 else { throw Refusal.tenantExists(tenant.id) }
        }
    }

    public func tenant(_ id: TenantId) async throws -> Tenant? {
        try await database.read { c in try await DirectoryRows.tenant(id, c) }
    }

    public func updateTenant(_ tenant: Tenant) async throws {
        try await database.transaction { c in
            let account = tenant.billingAccount
            let updated = try await c.run(
                """
                UPDATE tenant SET name = \(tenant.name), country = \(tenant.country.rawValue), channel = \(account.channel.rawValue),
                    commerce_model = \(account.commerceModel.rawValue), agreements = \(StoredValues.json(account.agreements)),
                    usage_retention_days = \(Int64(tenant.usageRetention.days))
                WHERE id = \(tenant.id.rawValue) RETURNING id
                """
            )
            guard updated == 1 else { throw Refusal.unknownTenant(tenant.id) }
        }
    }

    public func tenants() async throws -> [Tenant] {
        try await database.read { c in
            try await c.records("SELECT \(unescaped: DirectoryRows.tenantColumns) FROM tenant ORDER BY id", DirectoryRows.tenant)
        }
    }

    public func addUsers(_ users: [NumberedLine<User>], to tenantId: TenantId, creditsLicenseAvailable: Bool) async throws {
        try await database.transaction { c in
            try await Self.lockTenant(tenantId, c)
            let existing = Set(try await Self.users(named: users.map(\.value.upn), in: tenantId, c).map(\.upn))
            try DirectoryJudgement.judgeNewUsers(users, existing: existing, creditsLicenseAvailable: creditsLicenseAvailable)
            var insert = RowsInsert(
                "INSERT INTO tenant_user (tenant_id, upn, display_name, usage_location, roles, licenses, administrative_units) VALUES",
                columns: 7
            )
            for user in users.map(\.value) {
                insert.add(
                    .text(tenantId.rawValue),
                    .text(user.upn.rawValue),
                    .text(user.displayName),
                    .text(user.usageLocation.rawValue),
                    .text(StoredValues.json(user.roles.map(\.rawValue))),
                    .text(StoredValues.json(user.licenses.map(\.rawValue))),
                    .text(StoredValues.json(user.administrativeUnits.sorted().map(\.rawValue)))
                )
            }
            try await insert.run(on: c)
        }
    }

    public func changeLicenses(
        _ changes: [NumberedLine<UserLicenseChange>],
        in tenantId: TenantId,
        creditsLicenseAvailable: Bool,
        progress: @Sendable (Int) -> Void
    ) async throws -> [User] {
        try await database.transaction { c in
            try await Self.lockTenant(tenantId, c)
            var current: [UserPrincipalName: User] = [:]
            for user in try await Self.users(named: changes.map(\.value.upn), in: tenantId, c) { current[user.upn] = user }
            let changed = try DirectoryJudgement.applyLicenseChanges(
                changes,
                to: current,
                creditsLicenseAvailable: creditsLicenseAvailable,
                progress: progress
            )
            for user in changed {
                try await c.run(
                    """
                    UPDATE tenant_user SET licenses = \(StoredValues.json(user.licenses.map(\.rawValue))) WHERE tenant_id = \(tenantId.rawValue) AND upn = \(user.upn.rawValue)
                    """
                )
            }
            return changed
        }
    }

    public func setAdministrativeUnits(_ units: Set<AdministrativeUnit>, of upn: UserPrincipalName, in tenantId: TenantId) async throws -> User {
        try await database.transaction { c in
            try await Self.lockTenant(tenantId, c)
            try await c.run(
                """
                UPDATE tenant_user SET administrative_units = \(StoredValues.json(units.sorted().map(\.rawValue)))
                WHERE tenant_id = \(tenantId.rawValue) AND upn = \(upn.rawValue)
                """
            )
            guard let user = try await DirectoryRows.user(upn, in: tenantId, c) else { throw Refusal.unknownUser(upn.rawValue) }
            return user
        }
    }

    public func user(_ upn: UserPrincipalName, in tenantId: TenantId) async throws -> User? {
        try await database.read { c in try await DirectoryRows.user(upn, in: tenantId, c) }
    }

    public func users(in tenantId: TenantId, after: UserPrincipalName?, limit: Int) async throws -> [User] {
        try await database.read { c in
            try await c.records(
                """
                SELECT \(unescaped: DirectoryRows.userColumns) FROM tenant_user WHERE tenant_id = \(tenantId.rawValue) AND upn > \(after?.rawValue ?? "")
                ORDER BY upn LIMIT \(Int64(limit))
                """,
                DirectoryRows.user
            )
        }
    }

    public func assign(_ assignments: [NumberedLine<NumberAssignment>], in tenantId: TenantId) async throws {
        try await database.transaction { c in
            try await Self.lockTenant(tenantId, c)
            let identities = assignments.map(\.value.identity.description)
            // Locks the rows another tenant holds, so that none is released and taken between
            // the judgement and the write.
            let elsewhere = try await c.records(
                """
                SELECT identity FROM directory_number WHERE identity = ANY(\(identities)) AND tenant_id <> \(tenantId.rawValue) FOR SHARE
                """
            ) { DirectoryIdentity(stored: try $0.decode(String.self)) }
            let users = try await Self.users(named: assignments.compactMap(\.value.holder.upn), in: tenantId, c).map(\.upn)
            try NumberAssignment.judge(assignments, heldElsewhere: Set(elsewhere), users: Set(users))
            // Arrays bind without NULLs: an empty text stands for none (neither is ever empty).
            let holders = assignments.map { DirectoryRows.holderColumns($0.value.holder) }
            let written = try await c.run(
                """
                INSERT INTO directory_number (identity, tenant_id, upn, resource_account)
                SELECT identity, \(tenantId.rawValue), NULLIF(upn, ''), NULLIF(account, '')
                FROM unnest(\(identities)::text[], \(holders.map { $0.upn ?? "" })::text[], \(holders.map { $0.account ?? "" })::text[])
                    AS given(identity, upn, account)
                ON CONFLICT (identity) DO UPDATE SET upn = excluded.upn, resource_account = excluded.resource_account
                    WHERE directory_number.tenant_id = excluded.tenant_id
                RETURNING identity
                """
            )
            // A number another tenant took after the judgement is not taken from it.
            guard written == assignments.count else { throw Refusal.numberHeldElsewhere(assignments[0].value.identity) }
        }
    }

    public func unassign(_ identity: DirectoryIdentity, in tenantId: TenantId) async throws -> Bool {
        try await database.transaction { c in
            try await c.run(
                "DELETE FROM directory_number WHERE identity = \(identity.description) AND tenant_id = \(tenantId.rawValue) RETURNING identity"
            ) == 1
        }
    }

    public func assignment(of identity: DirectoryIdentity) async throws -> NumberAssignment? {
        try await database.read { c in
            try await c.records(
                "SELECT \(unescaped: DirectoryRows.assignmentColumns) FROM directory_number WHERE identity = \(identity.description)",
                DirectoryRows.assignment
            ).first
        }
    }

    public func assignments(in tenantId: TenantId, holder: NumberHolder?, after: DirectoryIdentity?, limit: Int) async throws -> [NumberAssignment] {
        let columns = holder.map(DirectoryRows.holderColumns)
        return try await database.read { c in
            try await c.records(
                """
                SELECT \(unescaped: DirectoryRows.assignmentColumns) FROM directory_number
                WHERE tenant_id = \(tenantId.rawValue) AND identity > \(after?.description ?? "")
                    AND (\(holder == nil) OR (upn IS NOT DISTINCT FROM \(columns?.upn) AND resource_account IS NOT DISTINCT FROM \(columns?.account)))
                ORDER BY identity LIMIT \(Int64(limit))
                """,
                DirectoryRows.assignment
            )
        }
    }

    /// The tenant's lock, as the ledger and the calls take it (a lock on the tenant's own row
    /// would stop their inserts, which check it as a foreign key, while they hold the version's).
    private static func lockTenant(_ id: TenantId, _ c: PostgresSession) async throws {
        guard try await LedgerRows.lockTenant(id, c) != nil else {
            throw Refusal.unknownTenant(id)
        }
    }

    private static func users(
        named names: [UserPrincipalName],
        in tenantId: TenantId,
        _ c: PostgresSession
    ) async throws -> [User] {
        try await c.records(
            """
            SELECT \(unescaped: DirectoryRows.userColumns) FROM tenant_user WHERE tenant_id = \(tenantId.rawValue) AND upn = ANY(\(names.map(\.rawValue)))
            """,
            DirectoryRows.user
        )
    }
}
