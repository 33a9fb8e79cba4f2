import CreditsCore
import CreditsEngine
import Foundation
import Hummingbird

/// `/v1/tenants`: tenants, their users and the users' licenses.
struct TenantRoutes {
    let directory: DirectoryService
    let clock: any CreditsClock

    func add(to router: some RouterMethods<APIRequestContext>) {
        let tenants = router.group("v1/tenants")
        tenants.post { request, context in
            try context.caller().authorizeOperator()
            let input = try await request.decodeJSON(TenantInput.self, context: context)
            let tenant = try Tenant(
                id: TenantId(input.id ?? UUID().uuidString.lowercased()),
                name: input.name,
                country: CountryCode.parse(input.country, field: .invalidCountry),
                currency: Self.currency(input.currency),
                billingAccount: BillingAccount(
                    channel: SalesChannel.parse(input.channel, field: .invalidChannel),
                    commerceModel: CommerceModel.parse(input.commerceModel, field: .invalidCommerceModel),
                    agreements: (input.agreements ?? []).map { try $0.agreement() }
                ),
                createdAt: clock.now()
            )
            try await directory.createTenant(tenant)
            return EditedResponse(status: .created, headers: [.location: "/v1/tenants/\(tenant.id)"], response: TenantBody(tenant))
        }
        tenants.get { _, context in
            let caller = try context.caller()
            let visible = try await directory.tenants().filter { caller.reads($0.id) }
            return TenantList(tenants: visible.map(TenantBody.init))
        }
        tenants.get(":tenantId") { _, context in TenantBody(try await directory.tenant(context.tenantIdForAnyCaller())) }
        tenants.patch(":tenantId") { request, context in
            let tenantId = try context.tenantId(for: .administerTenant)
            let patch = try await request.decodeJSON(TenantPatch.self, context: context)
            let tenant = try await directory.updateTenant(
                tenantId,
                name: patch.name,
                country: patch.country.map { try CountryCode.parse($0, field: .invalidCountry) },
                channel: patch.channel.map { try SalesChannel.parse($0, field: .invalidChannel) },
                commerceModel: patch.commerceModel.map { try CommerceModel.parse($0, field: .invalidCommerceModel) },
                agreements: patch.agreements.map { try $0.map { try $0.agreement() } },
                usageRetention: patch.usageRetentionDays.map { try UsageRetention(days: $0) }
            )
            return TenantBody(tenant)
        }

        tenants.post(":tenantId/users") { request, context in
            let tenantId = try context.tenantId(for: .manageUsers)
            let user = try await request.decodeJSON(UserInput.self, context: context).user()
            try context.caller().authorizeActing(onHolderOf: user.roles)
            try await directory.addUser(user, to: tenantId)
            return EditedResponse(status: .created, response: UserBody(user))
        }
        tenants.post(":tenantId/users/import") { request, context in
            let tenantId = try context.tenantId(for: .manageUsers)
            let users = try UserFiles.users(try await request.bodyBytes(context: context)).get()
            try context.caller().authorizeActing(onHolderOf: users.reduce(into: []) { $0.formUnion($1.value.roles) })
            try await directory.addUsers(users, to: tenantId)
            return UserImportResult(imported: users.count)
        }
        tenants.get(":tenantId/users") { request, context in
            let tenantId = try context.tenantId(for: .assignLicenses)
            _ = try await directory.tenant(tenantId)
            let limit = try request.limit()
            let after = try request.uri.queryParameters.get("after").map { try UserPrincipalName($0) }
            let users = try await directory.users(in: tenantId, after: after, limit: limit)
            return UserList(users: users.map(UserBody.init), next: users.count == limit ? users.last?.upn.rawValue : nil)
        }
        tenants.get(":tenantId/users/:upn") { _, context in
            let tenantId = try context.tenantId(for: .assignLicenses)
            return UserBody(try await directory.user(context.userName(), in: tenantId))
        }
        tenants.put(":tenantId/users/:upn/administrative-units") { request, context in
            let tenantId = try context.tenantId(for: .manageUsers)
            let input = try await request.decodeJSON(AdministrativeUnitsInput.self, context: context)
            let units = try AdministrativeUnit.parseList(input.administrativeUnits)
            return UserBody(try await directory.setAdministrativeUnits(units, of: context.userName(), in: tenantId))
        }
        tenants.post(":tenantId/users/:upn/licenses") { request, context in
            let tenantId = try context.tenantId(for: .assignLicenses)
            let change = try await request.decodeJSON(LicenseChangeInput.self, context: context).change()
            return UserBody(try await directory.changeLicenses(of: context.userName(), in: tenantId, change))
        }
    }

    private static func currency(_ code: String) throws -> Currency {
        guard let currency = Currency(code: code) else {
            throw Refusal.invalid(.invalidCurrency, "'\(code)' is not an ISO 4217 currency code (for example USD, EUR, JPY).")
        }
        return currency
    }
}
