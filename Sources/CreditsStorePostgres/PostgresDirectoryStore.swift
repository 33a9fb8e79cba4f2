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
        let logger = database.logger
        try await database.transaction { c in
            let account = tenant.billingAccount
            let created = try await c.run("""
                INSERT INTO tenant (id, name, country, currency, channel, commerce_model, agreements, created_at, usage_retention_days)
                VALUES (\(tenant.id.rawValue), \(tenant.name), \(tenant.country.rawValue), \(tenant.currency.code), \(account.channel.rawValue),
                        \(account.commerceModel.rawValue), \(StoredValues.json(account.agreements)), \(tenant.createdAt.millisecondsSinceEpoch),
                        \(Int64(tenant.usageRetention.days)))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, logger: logger)
            guard created == 1 else { throw BillingError.tenantExists(tenant.id) }
        }
    }

    public func tenant(_ id: TenantId) async throws -> Tenant? {
        let logger = database.logger
        return try await database.read { c in try await DirectoryRows.tenant(id, c, logger) }
    }

    public func updateTenant(_ tenant: Tenant) async throws {
        let logger = database.logger
        try await database.transaction { c in
            let account = tenant.billingAccount
            let updated = try await c.run("""
                UPDATE tenant SET name = \(tenant.name), country = \(tenant.country.rawValue), channel = \(account.channel.rawValue),
                    commerce_model = \(account.commerceModel.rawValue), agreements = \(StoredValues.json(account.agreements)),
                    usage_retention_days = \(Int64(tenant.usageRetention.days))
                WHERE id = \(tenant.id.rawValue) RETURNING id
                """, logger: logger)
            guard updated == 1 else { throw BillingError.unknownTenant(tenant.id) }
        }
    }

    public func tenants() async throws -> [Tenant] {
        let logger = database.logger
        return try await database.read { c in
            try await c.records("SELECT \(unescaped: DirectoryRows.tenantColumns) FROM tenant ORDER BY id", logger: logger, DirectoryRows.tenant)
        }
    }

    public func addUsers(_ users: [NumberedLine<User>], to tenantId: TenantId, creditsLicenseAvailable: Bool) async throws {
        let logger = database.logger
        try await database.transaction { c in
            try await Self.lockTenant(tenantId, c, logger)
            let existing = Set(try await Self.users(named: users.map(\.value.upn), in: tenantId, c, logger).map(\.upn))
            try DirectoryJudgement.judgeNewUsers(users, existing: existing, creditsLicenseAvailable: creditsLicenseAvailable)
            var insert = RowsInsert("INSERT INTO tenant_user (tenant_id, upn, display_name, usage_location, roles, licenses) VALUES", columns: 6)
            for user in users.map(\.value) {
                insert.add(.text(tenantId.rawValue), .text(user.upn.rawValue), .text(user.displayName), .text(user.usageLocation.rawValue),
                           .text(StoredValues.json(user.roles.map(\.rawValue))), .text(StoredValues.json(user.licenses.map(\.rawValue))))
            }
            try await insert.run(on: c, logger: logger)
        }
    }

    public func changeLicenses(_ changes: [NumberedLine<UserLicenseChange>], in tenantId: TenantId, creditsLicenseAvailable: Bool,
                               progress: @Sendable (Int) -> Void) async throws -> [User] {
        let logger = database.logger
        return try await database.transaction { c in
            try await Self.lockTenant(tenantId, c, logger)
            var current: [UserPrincipalName: User] = [:]
            for user in try await Self.users(named: changes.map(\.value.upn), in: tenantId, c, logger) { current[user.upn] = user }
            let changed = try DirectoryJudgement.applyLicenseChanges(changes, to: current, creditsLicenseAvailable: creditsLicenseAvailable,
                                                                     progress: progress)
            for user in changed {
                try await c.run("""
                    UPDATE tenant_user SET licenses = \(StoredValues.json(user.licenses.map(\.rawValue))) WHERE tenant_id = \(tenantId.rawValue) AND upn = \(user.upn.rawValue)
                    """, logger: logger)
            }
            return changed
        }
    }

    public func user(_ upn: UserPrincipalName, in tenantId: TenantId) async throws -> User? {
        let logger = database.logger
        return try await database.read { c in try await DirectoryRows.user(upn, in: tenantId, c, logger) }
    }

    public func users(in tenantId: TenantId, after: UserPrincipalName?, limit: Int) async throws -> [User] {
        let logger = database.logger
        return try await database.read { c in
            try await c.records("""
                SELECT \(unescaped: DirectoryRows.userColumns) FROM tenant_user WHERE tenant_id = \(tenantId.rawValue) AND upn > \(after?.rawValue ?? "")
                ORDER BY upn LIMIT \(Int64(limit))
                """, logger: logger, DirectoryRows.user)
        }
    }

    /// The tenant's lock, as the ledger and the calls take it (a lock on the tenant's own row
    /// would stop their inserts, which check it as a foreign key, while they hold the version's).
    private static func lockTenant(_ id: TenantId, _ c: PostgresConnection, _ logger: Logger) async throws {
        guard try await LedgerRows.lockTenant(id, c, logger) != nil else {
            throw BillingError.unknownTenant(id)
        }
    }

    private static func users(named names: [UserPrincipalName], in tenantId: TenantId, _ c: PostgresConnection, _ logger: Logger) async throws -> [User] {
        try await c.records("""
            SELECT \(unescaped: DirectoryRows.userColumns) FROM tenant_user WHERE tenant_id = \(tenantId.rawValue) AND upn = ANY(\(names.map(\.rawValue)))
            """, logger: logger, DirectoryRows.user)
    }
}
