import CreditsCore
import CreditsStore
import Logging
import PostgresNIO

/// Tenants and users as rows.
enum DirectoryRows {
    static let tenantColumns = "id, name, country, currency, channel, commerce_model, agreements, created_at, usage_retention_days"

    static func tenant(_ row: PostgresRow) throws -> Tenant {
        let r = try row.decode((String, String, String, String, String, String, String, Int64, Int64).self)
        var tenant = try Tenant(
            id: TenantId(r.0),
            name: r.1,
            country: CountryCode(r.2)!,
            currency: Currency(code: r.3)!,
            billingAccount: BillingAccount(
                channel: SalesChannel(rawValue: r.4)!,
                commerceModel: CommerceModel(rawValue: r.5)!,
                agreements: StoredValues.agreements(r.6)
            ),
            createdAt: LedgerRows.instant(r.7)
        )
        tenant.usageRetention = try UsageRetention(days: r.8)
        return tenant
    }

    static let userColumns = "upn, display_name, usage_location, roles, licenses, administrative_units"

    static func user(_ row: PostgresRow) throws -> User {
        let r = try row.decode((String, String, String, String, String, String).self)
        return try User(
            upn: UserPrincipalName(stored: r.0),
            displayName: r.1,
            usageLocation: CountryCode(r.2)!,
            roles: Set(StoredValues.names(r.3).compactMap(Role.init(rawValue:))),
            licenses: Set(StoredValues.names(r.4).compactMap(LicenseSku.init(rawValue:))),
            administrativeUnits: Set(StoredValues.names(r.5).map(AdministrativeUnit.init(stored:)))
        )
    }

    static let assignmentColumns = "identity, tenant_id, upn, resource_account"

    static func assignment(_ row: PostgresRow) throws -> NumberAssignment {
        let r = try row.decode((String, String, String?, String?).self)
        return NumberAssignment(
            identity: DirectoryIdentity(stored: r.0),
            tenantId: TenantId(r.1),
            holder: r.2.map { .user(UserPrincipalName(stored: $0)) } ?? .resourceAccount(r.3 ?? "")
        )
    }

    static func holderColumns(_ holder: NumberHolder) -> (upn: String?, account: String?) {
        switch holder {
        case let .user(upn): (upn.rawValue, nil)
        case let .resourceAccount(name): (nil, name)
        }
    }

    static func tenant(_ id: TenantId, _ c: PostgresSession) async throws -> Tenant? {
        try await c.records("SELECT \(unescaped: tenantColumns) FROM tenant WHERE id = \(id.rawValue)", tenant).first
    }

    static func user(_ upn: UserPrincipalName, in tenantId: TenantId, _ c: PostgresSession) async throws -> User? {
        try await c.records(
            "SELECT \(unescaped: userColumns) FROM tenant_user WHERE tenant_id = \(tenantId.rawValue) AND upn = \(upn.rawValue)",
            user
        ).first
    }
}
