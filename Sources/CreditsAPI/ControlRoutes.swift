import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird

/// `/v1/tenants/{tenantId}/call-controls` and a user's own `destination-rules`: where calls may
/// go, and the audit trail of who changed the controls. Billing and Global Administrators change
/// them (`buy`); whoever reads billing reads them.
struct ControlRoutes {
    let controls: CallControlService
    let directory: DirectoryService

    private func rechargeCapBody(_ tenantId: TenantId) async throws -> RechargeCapBody {
        let currency = try await directory.tenant(tenantId).currency
        return RechargeCapBody(try await controls.rechargeCap(of: tenantId), currency: currency)
    }

    private func spendLimitBody(_ tenantId: TenantId, _ upn: UserPrincipalName) async throws -> SpendLimitBody {
        let currency = try await directory.tenant(tenantId).currency
        let (limit, spend) = try await controls.spendLimit(of: tenantId, user: upn)
        return SpendLimitBody(limitMinor: limit, spend: spend, currency: currency)
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        let tenant = router.group("v1/tenants/:tenantId")
        tenant.get("call-controls/destination-rules") { _, context in
            DestinationRulesBody(try await controls.controls(of: context.tenantId(for: .readBilling)).destinations)
        }
        tenant.put("call-controls/destination-rules") { request, context in
            let tenantId = try context.tenantId(for: .buy)
            let rules = try await request.decodeJSON(DestinationRulesBody.self, context: context).rules()
            let changed = try await controls.setDestinationRules(rules, of: tenantId, by: context.caller().actor)
            return DestinationRulesBody(changed.destinations)
        }
        tenant.get("users/:upn/destination-rules") { _, context in
            let tenantId = try context.tenantId(for: .readBilling)
            let upn = try context.userName()
            return UserDestinationRulesBody(upn, try await controls.controls(of: tenantId))
        }
        tenant.put("users/:upn/destination-rules") { request, context in
            let tenantId = try context.tenantId(for: .buy)
            let upn = try context.userName()
            let rules = try await request.decodeJSON(DestinationRulesBody.self, context: context).rules()
            return UserDestinationRulesBody(upn, try await controls.setDestinationRules(rules, of: tenantId, user: upn, by: context.caller().actor))
        }
        tenant.delete("users/:upn/destination-rules") { _, context in
            let tenantId = try context.tenantId(for: .buy)
            let upn = try context.userName()
            return UserDestinationRulesBody(upn, try await controls.setDestinationRules(nil, of: tenantId, user: upn, by: context.caller().actor))
        }
        tenant.get("call-controls/spend-limits") { _, context in
            let tenantId = try context.tenantId(for: .readBilling)
            let currency = try await directory.tenant(tenantId).currency
            return SpendLimitList(try await controls.spendLimits(of: tenantId), currency: currency)
        }
        tenant.get("users/:upn/spend-limit") { _, context in
            try await spendLimitBody(context.tenantId(for: .readBilling), context.userName())
        }
        tenant.put("users/:upn/spend-limit") { request, context in
            let tenantId = try context.tenantId(for: .buy)
            let upn = try context.userName()
            let input = try await request.decodeJSON(SpendLimitInput.self, context: context)
            try await controls.setSpendLimit(input.monthlyLimitMinor, of: tenantId, user: upn, by: context.caller().actor)
            return try await spendLimitBody(tenantId, upn)
        }
        tenant.delete("users/:upn/spend-limit") { _, context in
            let tenantId = try context.tenantId(for: .buy)
            let upn = try context.userName()
            try await controls.setSpendLimit(nil, of: tenantId, user: upn, by: context.caller().actor)
            return try await spendLimitBody(tenantId, upn)
        }
        tenant.post("call-controls/user-controls/import") { request, context in
            let tenantId = try context.tenantId(for: .buy)
            let currency = try await directory.tenant(tenantId).currency
            let lines = try UserFiles.userControls(try await request.bodyBytes(context: context), currency: currency).get()
            return UserControlImportResult(applied: try await controls.importUserControls(lines, of: tenantId, by: context.caller().actor))
        }
        tenant.get("call-controls/recharge-cap") { _, context in
            try await rechargeCapBody(context.tenantId(for: .readBilling))
        }
        tenant.put("call-controls/recharge-cap") { request, context in
            let tenantId = try context.tenantId(for: .buy)
            let input = try await request.decodeJSON(RechargeCapInput.self, context: context)
            try await controls.setRechargeCap(input.monthlyCapMinor, of: tenantId, by: context.caller().actor)
            return try await rechargeCapBody(tenantId)
        }
        tenant.delete("call-controls/recharge-cap") { _, context in
            let tenantId = try context.tenantId(for: .buy)
            try await controls.setRechargeCap(nil, of: tenantId, by: context.caller().actor)
            return try await rechargeCapBody(tenantId)
        }
        addVelocityAlarm(to: tenant)
        addUnitSpendLimits(to: tenant)
        tenant.get("call-controls/changes") { request, context in
            let limit = try request.limit()
            let changes = try await controls.changes(of: context.tenantId(for: .readBilling), before: request.beforeCursor(), limit: limit)
            return ControlChangeList(changes, limit: limit)
        }
    }
}

/// `{blockedNumberTypes, mode, destinations}`: number types blocked, then countries (`CU`) and
/// prefixes (`+882`) that are blocked (`blockListed`) or the only ones allowed (`allowListedOnly`).
struct DestinationRulesBody: Codable, ResponseEncodable {
    var blockedNumberTypes: [String]?
    var mode: String?
    var destinations: [String]?

    init(_ rules: DestinationRules) {
        blockedNumberTypes = rules.blockedNumberTypes.map(\.rawValue).sorted()
        mode = rules.mode.rawValue
        destinations = rules.destinations.map(\.description)
    }

    func rules() throws -> DestinationRules {
        let types = try (blockedNumberTypes ?? []).map { name throws(Refusal) in
            guard let type = NumberType(rawValue: name) else {
                let known = NumberType.allCases.map(\.rawValue).joined(separator: ", ")
                throw Refusal.invalid(.invalidBlockedNumberTypes, "'\(name.prefix(40))' is not a number type: \(known).")
            }
            return type
        }
        let mode = try mode.map { name throws(Refusal) in
            guard let mode = DestinationRules.Mode(rawValue: name) else {
                throw Refusal.invalid(.invalidMode, "The mode is blockListed (every destination but those listed) or allowListedOnly.")
            }
            return mode
        }
        let listed = destinations ?? []
        guard listed.count <= DestinationRules.maximumDestinations else {
            throw Refusal.invalid(.invalidDestinations, "List at most \(DestinationRules.maximumDestinations) countries and prefixes.")
        }
        return try DestinationRules(
            blockedNumberTypes: Set(types),
            mode: mode ?? .blockListed,
            destinations: listed.map { text throws(Refusal) in try CallDestination(text) }
        )
    }
}

/// A user's own rules, which apply as well as the tenant's; `ownRules` is false when the user has none.
struct UserDestinationRulesBody: ResponseEncodable {
    let upn: String
    let ownRules: Bool
    let rules: DestinationRulesBody

    init(_ upn: UserPrincipalName, _ controls: CallControls) {
        self.upn = upn.rawValue
        let own = controls.userDestinations[upn]
        ownRules = own != nil
        rules = DestinationRulesBody(own ?? .open)
    }
}

struct ControlChangeList: ResponseEncodable {
    struct ChangeBody: Encodable {
        let id: Int64
        let at: String
        let actor: String
        let subject: String
        let before: String
        let after: String
    }

    let changes: [ChangeBody]
    let next: Int64?

    init(_ changes: [NumberedControlChange], limit: Int) {
        self.changes = changes.map {
            ChangeBody(
                id: $0.id,
                at: ISO8601.format($0.change.at),
                actor: $0.change.actor,
                subject: $0.change.subject,
                before: $0.change.before,
                after: $0.change.after
            )
        }
        next = changes.count == limit ? changes.last?.id : nil
    }
}

struct SpendLimitInput: Decodable {
    let monthlyLimitMinor: Int64
}

/// A user's monthly limit (absent: none) with this month's credit spend, what the user's calls
/// in progress hold, and what is left.
struct SpendLimitBody: Encodable, ResponseEncodable {
    let upn: String
    let monthlyLimitMinor: Int64?
    let month: String
    let spentMinor: Int64
    let heldMinor: Int64
    let leftMinor: Int64?
    let currency: String

    init(limitMinor: Int64?, spend: MonthlySpend, currency: Currency) {
        upn = spend.slot.spender.name
        monthlyLimitMinor = limitMinor
        month = spend.slot.month.description
        spentMinor = spend.spentMinor
        heldMinor = spend.heldMinor
        leftMinor = limitMinor.map(spend.leftMinor)
        self.currency = currency.code
    }
}

struct SpendLimitList: ResponseEncodable {
    let limits: [SpendLimitBody]

    init(_ limits: [SpendLimitUse], currency: Currency) {
        self.limits = limits.map { SpendLimitBody(limitMinor: $0.limitMinor, spend: $0.spend, currency: currency) }
    }
}

struct UserControlImportResult: ResponseEncodable {
    let applied: Int
}

struct RechargeCapInput: Decodable {
    let monthlyCapMinor: Int64
}

/// The monthly cap on auto-recharge (absent: none), what recharges added this month, and
/// whether auto-recharge is paused until next month because another would pass the cap.
struct RechargeCapBody: ResponseEncodable {
    let monthlyCapMinor: Int64?
    let month: String?
    let rechargedMinor: Int64?
    let paused: Bool
    let currency: String

    init(_ status: RechargeCapStatus?, currency: Currency) {
        monthlyCapMinor = status?.capMinor
        month = status?.month.description
        rechargedMinor = status?.rechargedMinor
        paused = status?.paused ?? false
        self.currency = currency.code
    }
}
