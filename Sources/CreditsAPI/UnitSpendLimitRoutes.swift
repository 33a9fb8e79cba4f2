import CreditsCore
import CreditsEngine
import Hummingbird

/// `/v1/tenants/{tenantId}/call-controls/unit-spend-limits`: the monthly credit spend limits of
/// administrative units, each shared by the unit's users, with this month's spend. The unit is
/// named in the body and the query rather than the path: a unit's name may hold a '/'.
extension ControlRoutes {
    private func unitSpendLimits(_ tenantId: TenantId) async throws -> UnitSpendLimitList {
        let currency = try await directory.tenant(tenantId).currency
        return UnitSpendLimitList(try await controls.unitSpendLimits(of: tenantId), currency: currency)
    }

    func addUnitSpendLimits(to tenant: RouterGroup<APIRequestContext>) {
        tenant.get("call-controls/unit-spend-limits") { _, context in
            try await unitSpendLimits(context.tenantId(for: .readBilling))
        }
        tenant.put("call-controls/unit-spend-limits") { request, context in
            let tenantId = try context.tenantId(for: .buy)
            let input = try await request.decodeJSON(UnitSpendLimitInput.self, context: context)
            let unit = try AdministrativeUnit(input.administrativeUnit)
            try await controls.setSpendLimit(input.monthlyLimitMinor, of: tenantId, unit: unit, by: context.caller().actor)
            return try await unitSpendLimits(tenantId)
        }
        tenant.delete("call-controls/unit-spend-limits") { request, context in
            let tenantId = try context.tenantId(for: .buy)
            guard let name = request.uri.queryParameters.get("administrativeUnit") else {
                throw Refusal.invalid(.invalidAdministrativeUnit, "Name the unit whose limit to take away: ?administrativeUnit=Sales.")
            }
            try await controls.setSpendLimit(nil, of: tenantId, unit: try AdministrativeUnit(name), by: context.caller().actor)
            return try await unitSpendLimits(tenantId)
        }
    }
}

struct UnitSpendLimitInput: Decodable {
    let administrativeUnit: String
    let monthlyLimitMinor: Int64
}

/// A unit's monthly limit with this month's credit spend of its users, what their calls in
/// progress hold, and what is left.
struct UnitSpendLimitBody: Encodable {
    let administrativeUnit: String
    let monthlyLimitMinor: Int64
    let month: String
    let spentMinor: Int64
    let heldMinor: Int64
    let leftMinor: Int64
    let currency: String
}

struct UnitSpendLimitList: ResponseEncodable {
    let limits: [UnitSpendLimitBody]

    init(_ limits: [SpendLimitUse], currency: Currency) {
        self.limits = limits.map {
            UnitSpendLimitBody(
                administrativeUnit: $0.spend.slot.spender.name,
                monthlyLimitMinor: $0.limitMinor,
                month: $0.spend.slot.month.description,
                spentMinor: $0.spend.spentMinor,
                heldMinor: $0.spend.heldMinor,
                leftMinor: $0.leftMinor,
                currency: currency.code
            )
        }
    }
}
