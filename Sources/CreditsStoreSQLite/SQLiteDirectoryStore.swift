public import CreditsCore
public import CreditsStore
import GRDB

/// Tenants and users in the shared SQLite file.
public final class SQLiteDirectoryStore: DirectoryStore {
    let database: DatabasePool

    init(database: DatabasePool) {
        self.database = database
    }

    public func createTenant(_ tenant: Tenant) async throws {
        try await database.write { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM tenant WHERE id = ?", arguments: [tenant.id.rawValue]) == nil else {
                throw Refusal.tenantExists(tenant.id)
            }
            try db.execute(
                sql: """
                    INSERT INTO tenant (id, name, country, currency, channel, commerce_model, agreements, created_at, usage_retention_days)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    tenant.id.rawValue, tenant.name, tenant.country.rawValue, tenant.currency.code,
                    tenant.billingAccount.channel.rawValue, tenant.billingAccount.commerceModel.rawValue,
                    StoredValues.json(tenant.billingAccount.agreements), tenant.createdAt.millisecondsSinceEpoch,
                    tenant.usageRetention.days,
                ]
            )
        }
    }

    public func tenant(_ id: TenantId) async throws -> Tenant? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM tenant WHERE id = ?", arguments: [id.rawValue]).map(Self.tenant)
        }
    }

    public func updateTenant(_ tenant: Tenant) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    UPDATE tenant SET name = ?, country = ?, channel = ?, commerce_model = ?, agreements = ?, usage_retention_days = ? WHERE id = ?
                    """,
                arguments: [
                    tenant.name, tenant.country.rawValue, tenant.billingAccount.channel.rawValue,
                    tenant.billingAccount.commerceModel.rawValue, StoredValues.json(tenant.billingAccount.agreements),
                    tenant.usageRetention.days, tenant.id.rawValue,
                ]
            )
            guard db.changesCount == 1 else { throw Refusal.unknownTenant(tenant.id) }
        }
    }

    public func tenants() async throws -> [Tenant] {
        try await database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM tenant ORDER BY id").map(Self.tenant) }
    }

    public func addUsers(_ users: [NumberedLine<User>], to tenantId: TenantId, creditsLicenseAvailable: Bool) async throws {
        try await database.write { db in
            try Self.requireTenant(tenantId, db)
            let existing = try Set(Self.fetchUsers(named: users.map(\.value.upn), in: tenantId, db).map(\.upn))
            try DirectoryJudgement.judgeNewUsers(users, existing: existing, creditsLicenseAvailable: creditsLicenseAvailable)
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO tenant_user (tenant_id, upn, display_name, usage_location, roles, licenses, administrative_units)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            )
            for user in users.map(\.value) {
                try insert.execute(arguments: [
                    tenantId.rawValue, user.upn.rawValue, user.displayName, user.usageLocation.rawValue,
                    StoredValues.json(user.roles.map(\.rawValue)), StoredValues.json(user.licenses.map(\.rawValue)),
                    StoredValues.json(user.administrativeUnits.sorted().map(\.rawValue)),
                ])
            }
        }
    }

    public func changeLicenses(
        _ changes: [NumberedLine<UserLicenseChange>],
        in tenantId: TenantId,
        creditsLicenseAvailable: Bool,
        progress: @Sendable (Int) -> Void
    ) async throws -> [User] {
        try await database.write { db in
            try Self.requireTenant(tenantId, db)
            var current: [UserPrincipalName: User] = [:]
            for user in try Self.fetchUsers(named: changes.map(\.value.upn), in: tenantId, db) { current[user.upn] = user }
            let changed = try DirectoryJudgement.applyLicenseChanges(
                changes,
                to: current,
                creditsLicenseAvailable: creditsLicenseAvailable,
                progress: progress
            )
            let update = try db.cachedStatement(sql: "UPDATE tenant_user SET licenses = ? WHERE tenant_id = ? AND upn = ?")
            for user in changed {
                try update.execute(arguments: [StoredValues.json(user.licenses.map(\.rawValue)), tenantId.rawValue, user.upn.rawValue])
            }
            return changed
        }
    }

    public func user(_ upn: UserPrincipalName, in tenantId: TenantId) async throws -> User? {
        try await database.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM tenant_user WHERE tenant_id = ? AND upn = ?",
                arguments: [tenantId.rawValue, upn.rawValue]
            ).map(Self.user)
        }
    }

    public func users(in tenantId: TenantId, after: UserPrincipalName?, limit: Int) async throws -> [User] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM tenant_user WHERE tenant_id = ? AND upn > ? ORDER BY upn LIMIT ?",
                arguments: [tenantId.rawValue, after?.rawValue ?? "", limit]
            ).map(Self.user)
        }
    }

    public func assign(_ assignments: [NumberedLine<NumberAssignment>], in tenantId: TenantId) async throws {
        try await database.write { db in
            try Self.requireTenant(tenantId, db)
            let identities = StoredValues.json(assignments.map(\.value.identity.description))
            let elsewhere = try String.fetchAll(
                db,
                sql: """
                    SELECT identity FROM directory_number WHERE identity IN (SELECT value FROM json_each(?)) AND tenant_id <> ?
                    """,
                arguments: [identities, tenantId.rawValue]
            )
            let users = try Self.fetchUsers(named: assignments.compactMap(\.value.holder.upn), in: tenantId, db).map(\.upn)
            try NumberAssignment.judge(assignments, heldElsewhere: Set(elsewhere.map(DirectoryIdentity.init(stored:))), users: Set(users))
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO directory_number (identity, tenant_id, upn, resource_account) VALUES (?, ?, ?, ?)
                    ON CONFLICT (identity) DO UPDATE SET upn = excluded.upn, resource_account = excluded.resource_account
                    """
            )
            for assignment in assignments.map(\.value) {
                try upsert.execute(
                    arguments: StatementArguments([assignment.identity.description, tenantId.rawValue] + Self.holderColumns(assignment.holder))
                )
            }
        }
    }

    public func unassign(_ identity: DirectoryIdentity, in tenantId: TenantId) async throws -> Bool {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM directory_number WHERE identity = ? AND tenant_id = ?",
                arguments: [identity.description, tenantId.rawValue]
            )
            return db.changesCount == 1
        }
    }

    public func assignment(of identity: DirectoryIdentity) async throws -> NumberAssignment? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM directory_number WHERE identity = ?", arguments: [identity.description]).map(Self.assignment)
        }
    }

    public func assignments(in tenantId: TenantId, holder: NumberHolder?, after: DirectoryIdentity?, limit: Int) async throws -> [NumberAssignment] {
        try await database.read { db in
            let holderFilter = holder.map { _ in " AND upn IS ? AND resource_account IS ?" } ?? ""
            let arguments: StatementArguments =
                [tenantId.rawValue, after?.description ?? ""]
                + StatementArguments(holder.map(Self.holderColumns) ?? []) + [limit]
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM directory_number WHERE tenant_id = ? AND identity > ?\(holderFilter) ORDER BY identity LIMIT ?",
                arguments: arguments
            ).map(Self.assignment)
        }
    }

    private static func holderColumns(_ holder: NumberHolder) -> [(any DatabaseValueConvertible)?] {
        switch holder {
        case let .user(upn): [upn.rawValue, nil]
        case let .resourceAccount(name): [nil, name]
        }
    }

    private static func assignment(_ row: Row) -> NumberAssignment {
        let upn: String? = row["upn"]
        return NumberAssignment(
            identity: DirectoryIdentity(stored: row["identity"]),
            tenantId: TenantId(row["tenant_id"]),
            holder: upn.map { .user(UserPrincipalName(stored: $0)) } ?? .resourceAccount(row["resource_account"])
        )
    }

    private static func requireTenant(_ id: TenantId, _ db: Database) throws {
        guard try Row.fetchOne(db, sql: "SELECT 1 FROM tenant WHERE id = ?", arguments: [id.rawValue]) != nil else {
            throw Refusal.unknownTenant(id)
        }
    }

    private static func fetchUsers(named names: [UserPrincipalName], in tenantId: TenantId, _ db: Database) throws -> [User] {
        try Row.fetchAll(
            db,
            sql: "SELECT * FROM tenant_user WHERE tenant_id = ? AND upn IN (SELECT value FROM json_each(?))",
            arguments: [tenantId.rawValue, StoredValues.json(names.map(\.rawValue))]
        ).map(user)
    }

    static func tenant(_ row: Row) -> Tenant {
        var tenant = try! Tenant(
            id: TenantId(row["id"]),
            name: row["name"],
            country: CountryCode(row["country"])!,
            currency: Currency(code: row["currency"])!,
            billingAccount: BillingAccount(
                channel: SalesChannel(rawValue: row["channel"])!,
                commerceModel: CommerceModel(rawValue: row["commerce_model"])!,
                agreements: StoredValues.agreements(row["agreements"])
            ),
            createdAt: Instant(millisecondsSinceEpoch: row["created_at"])
        )
        tenant.usageRetention = try! UsageRetention(days: row["usage_retention_days"])
        return tenant
    }

    static func user(_ row: Row) -> User {
        try! User(
            upn: UserPrincipalName(stored: row["upn"]),
            displayName: row["display_name"],
            usageLocation: CountryCode(row["usage_location"])!,
            roles: Set(StoredValues.names(row["roles"]).compactMap(Role.init(rawValue:))),
            licenses: Set(StoredValues.names(row["licenses"]).compactMap(LicenseSku.init(rawValue:))),
            administrativeUnits: Set(StoredValues.names(row["administrative_units"]).map(AdministrativeUnit.init(stored:)))
        )
    }

    public func setAdministrativeUnits(_ units: Set<AdministrativeUnit>, of upn: UserPrincipalName, in tenantId: TenantId) async throws -> User {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE tenant_user SET administrative_units = ? WHERE tenant_id = ? AND upn = ?",
                arguments: [StoredValues.json(units.sorted().map(\.rawValue)), tenantId.rawValue, upn.rawValue]
            )
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM tenant_user WHERE tenant_id = ? AND upn = ?",
                    arguments: [tenantId.rawValue, upn.rawValue]
                )
            else { throw Refusal.unknownUser(upn.rawValue) }
            return Self.user(row)
        }
    }
}
