import CreditsCore
import Hummingbird

struct AgreementBody: Codable {
    let number: String
    let billingCountry: String

    func agreement() throws -> EnterpriseAgreement {
        try EnterpriseAgreement(number: number, billingCountry: CountryCode.parse(billingCountry, field: .invalidAgreements))
    }
}

struct TenantInput: Decodable {
    let id: String?
    let name: String
    let country: String
    let currency: String
    let channel: String
    let commerceModel: String
    let agreements: [AgreementBody]?
}

struct TenantPatch: Decodable {
    let name: String?
    let country: String?
    let channel: String?
    let commerceModel: String?
    let agreements: [AgreementBody]?
    let usageRetentionDays: Int64?
}

struct TenantBody: ResponseEncodable {
    let id: String
    let name: String
    let country: String
    let currency: String
    let channel: String
    let commerceModel: String
    let agreements: [AgreementBody]
    let usageRetentionDays: Int64
    let createdAt: String

    init(_ tenant: Tenant) {
        id = tenant.id.rawValue
        name = tenant.name
        country = tenant.country.rawValue
        currency = tenant.currency.code
        channel = tenant.billingAccount.channel.rawValue
        commerceModel = tenant.billingAccount.commerceModel.rawValue
        agreements = tenant.billingAccount.agreements.map { AgreementBody(number: $0.number, billingCountry: $0.billingCountry.rawValue) }
        usageRetentionDays = tenant.usageRetention.days
        createdAt = ISO8601.format(tenant.createdAt)
    }
}

struct TenantList: ResponseEncodable {
    let tenants: [TenantBody]
}

struct UserInput: Decodable {
    let upn: String
    let displayName: String
    let usageLocation: String
    let roles: [String]?
    let licenses: [String]?
    let administrativeUnits: [String]?

    func user() throws -> User {
        var licenses: Set<LicenseSku> = []
        for name in self.licenses ?? [] { licenses.insert(try LicenseSku.parse(name)) }
        return try User(
            upn: UserPrincipalName(upn),
            displayName: displayName,
            usageLocation: CountryCode.parse(usageLocation, field: .invalidUsageLocation),
            roles: User.parseRoles(roles ?? []),
            licenses: licenses,
            administrativeUnits: AdministrativeUnit.parseList(administrativeUnits ?? [])
        )
    }
}

struct AdministrativeUnitsInput: Decodable {
    let administrativeUnits: [String]
}

struct UserBody: ResponseEncodable {
    let upn: String
    let displayName: String
    let usageLocation: String
    let roles: [String]
    let licenses: [String]
    let administrativeUnits: [String]

    init(_ user: User) {
        upn = user.upn.rawValue
        displayName = user.displayName
        usageLocation = user.usageLocation.rawValue
        roles = user.roles.sorted().map(\.rawValue)
        licenses = user.licenses.sorted().map(\.rawValue)
        administrativeUnits = user.administrativeUnits.sorted().map(\.rawValue)
    }
}

struct UserList: ResponseEncodable {
    let users: [UserBody]
    /// Pass as `after` for the next page; absent on the last page.
    let next: String?
}

struct UserImportResult: ResponseEncodable {
    let imported: Int
}

struct LicenseChangeInput: Decodable {
    let add: [String]?
    let remove: [String]?

    func change() throws -> LicenseChange {
        var add: Set<LicenseSku> = []
        var remove: Set<LicenseSku> = []
        for name in self.add ?? [] { add.insert(try LicenseSku.parse(name)) }
        for name in self.remove ?? [] { remove.insert(try LicenseSku.parse(name)) }
        return LicenseChange(add: add, remove: remove)
    }
}
