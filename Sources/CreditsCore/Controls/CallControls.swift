/// What a tenant's administrators set to keep its credits from being spent where they should
/// not be: destination rules for the whole tenant and, on top of them, for single users;
/// monthly spend limits of single users; a monthly cap on auto-recharge; and the velocity alarm.
public struct CallControls: Hashable, Sendable {
    public var destinations: DestinationRules
    /// A user's own rules apply as well as the tenant's: a call passes both.
    public var userDestinations: [UserPrincipalName: DestinationRules]
    /// The most credits a user's calls may spend in a calendar month (UTC), in minor units.
    public private(set) var userSpendLimits: [UserPrincipalName: Int64]
    /// The most credits the calls of an administrative unit's users may spend in a calendar
    /// month (UTC), together, in minor units.
    public private(set) var unitSpendLimits: [AdministrativeUnit: Int64]
    /// The most auto-recharge may add in a calendar month (UTC); a manual purchase still works.
    public private(set) var monthlyRechargeCapMinor: Int64?
    /// The toll-fraud guard: its threshold, the usual spend it is judged by, and a suspension.
    public var velocity: VelocityAlarm

    public static let maximumUsersWithOwnRules = 10_000
    public static let none = CallControls(destinations: .open, userDestinations: [:])

    public init(
        destinations: DestinationRules,
        userDestinations: [UserPrincipalName: DestinationRules],
        userSpendLimits: [UserPrincipalName: Int64] = [:],
        unitSpendLimits: [AdministrativeUnit: Int64] = [:],
        monthlyRechargeCapMinor: Int64? = nil,
        velocity: VelocityAlarm = .off
    ) {
        self.destinations = destinations
        self.userDestinations = userDestinations.filter { !$0.value.isOpen }
        self.userSpendLimits = userSpendLimits
        self.unitSpendLimits = unitSpendLimits
        self.monthlyRechargeCapMinor = monthlyRechargeCapMinor
        self.velocity = velocity
    }

    /// Sets the monthly cap on auto-recharge (0: none this month), or takes it away.
    public mutating func setRechargeCap(_ capMinor: Int64?) throws(Refusal) {
        if let capMinor, !(0...LedgerLimits.maximumAmountMinor).contains(capMinor) {
            throw Refusal.invalid(.invalidMonthlyCapMinor, "A monthly cap is 0 to \(LedgerLimits.maximumAmountMinor) minor units.")
        }
        monthlyRechargeCapMinor = capMinor
    }

    /// Sets `upn`'s monthly limit (0: none of the user's calls may spend credits), or takes it away.
    public mutating func setSpendLimit(_ limitMinor: Int64?, of upn: UserPrincipalName) throws(Refusal) {
        guard let limitMinor else {
            userSpendLimits[upn] = nil
            return
        }
        guard (0...LedgerLimits.maximumAmountMinor).contains(limitMinor) else {
            throw Refusal.invalid(.invalidMonthlyLimitMinor, "A monthly limit is 0 to \(LedgerLimits.maximumAmountMinor) minor units.")
        }
        if userSpendLimits[upn] == nil, userSpendLimits.count >= Self.maximumUsersWithOwnRules {
            throw Refusal.invalid(.invalidMonthlyLimitMinor, "At most \(Self.maximumUsersWithOwnRules) users may have a spend limit.")
        }
        userSpendLimits[upn] = limitMinor
    }

    /// Sets the monthly limit of `unit`'s users together (0: none of their calls may spend
    /// credits), or takes it away.
    public mutating func setSpendLimit(_ limitMinor: Int64?, of unit: AdministrativeUnit) throws(Refusal) {
        guard let limitMinor else {
            unitSpendLimits[unit] = nil
            return
        }
        guard (0...LedgerLimits.maximumAmountMinor).contains(limitMinor) else {
            throw Refusal.invalid(.invalidMonthlyLimitMinor, "A monthly limit is 0 to \(LedgerLimits.maximumAmountMinor) minor units.")
        }
        if unitSpendLimits[unit] == nil, unitSpendLimits.count >= Self.maximumUsersWithOwnRules {
            throw Refusal.invalid(.invalidMonthlyLimitMinor, "At most \(Self.maximumUsersWithOwnRules) administrative units may have a spend limit.")
        }
        unitSpendLimits[unit] = limitMinor
    }

    /// The slots with a limit that a call of `user` (with the units the user was in when it
    /// started) counts in: the user's, then the units' by name, in the month it started. On
    /// the path of every call, so it builds nothing when nothing is limited.
    public func limitedSpendSlots(of user: User, startTime: Instant) -> [MonthlySpend.Slot] {
        let userLimited = userSpendLimits[user.upn] != nil
        let units = unitSpendLimits.isEmpty ? [] : user.administrativeUnits.filter { unitSpendLimits[$0] != nil }
        guard userLimited || !units.isEmpty else { return [] }
        let month = CalendarMonth(of: startTime)
        var slots: [MonthlySpend.Slot] = userLimited ? [MonthlySpend.Slot(upn: user.upn, month: month)] : []
        for unit in units.count > 1 ? units.sorted() : Array(units) { slots.append(MonthlySpend.Slot(.unit(unit), month: month)) }
        return slots
    }

    /// The limit of a slot's user or unit, if it has one.
    public func spendLimit(of spender: MonthlySpend.Spender) -> Int64? {
        switch spender {
        case let .user(upn): userSpendLimits[upn]
        case let .unit(unit): unitSpendLimits[unit]
        }
    }

    /// Gives `upn` its own rules, or takes them away (`nil`, or rules that block nothing).
    public mutating func setDestinations(_ rules: DestinationRules?, of upn: UserPrincipalName) throws(Refusal) {
        guard let rules, !rules.isOpen else {
            userDestinations[upn] = nil
            return
        }
        if userDestinations[upn] == nil, userDestinations.count >= Self.maximumUsersWithOwnRules {
            throw Refusal.invalid(.invalidDestinations, "At most \(Self.maximumUsersWithOwnRules) users may have rules of their own.")
        }
        userDestinations[upn] = rules
    }

    /// The rule that refuses this call, the tenant's before the user's; nil when it may go on.
    /// Only calls out to the telephone network are judged: never an incoming or emergency call.
    public func destinationRefusal(_ call: CallFacts) -> DestinationRule? {
        guard call.callType.isJudgedByDestination else { return nil }
        let number = call.externalNumber
        let country = call.externalCountry
        let type = call.rate?.numberType
        if let rule = destinations.refusingRule(number: number, numberType: type, country: country) { return rule }
        guard let upn = call.user?.upn, let own = userDestinations[upn] else { return nil }
        return own.refusingRule(number: number, numberType: type, country: country)
    }
}

extension CallType {
    /// Calls out to a number the tenant's destination rules judge: every outgoing call but an
    /// emergency one.
    public var isJudgedByDestination: Bool { !isIncoming && self != .emergencyOut }
}

/// One change of a tenant's call controls, for its audit trail: who, when, what.
public struct ControlChange: Hashable, Sendable {
    public let tenantId: TenantId
    public let at: Instant
    /// The administrator's sign-in name or the token's id, as `Principal.actor` says it.
    public let actor: String
    /// What changed, in words ("Destination rules of the tenant", "Destination rules of amy@contoso.com").
    public let subject: String
    public let before: String
    public let after: String

    public init(tenantId: TenantId, at: Instant, actor: String, subject: String, before: String, after: String) {
        self.tenantId = tenantId
        self.at = at
        self.actor = actor
        self.subject = subject
        self.before = before
        self.after = after
    }
}

extension DestinationRules: CustomStringConvertible {
    /// One line an administrator can read: "blocks premium, sharedCost; blocks CU, +882".
    public var description: String {
        var parts: [String] = []
        if !blockedNumberTypes.isEmpty { parts.append("blocks " + blockedNumberTypes.map(\.rawValue).sorted().joined(separator: ", ")) }
        switch mode {
        case .blockListed where !destinations.isEmpty: parts.append("blocks " + destinations.map(\.description).joined(separator: ", "))
        case .blockListed: break
        case .allowListedOnly: parts.append("allows only " + destinations.map(\.description).joined(separator: ", "))
        }
        return parts.isEmpty ? "blocks nothing" : parts.joined(separator: "; ")
    }
}

extension Principal {
    /// Who this caller is, as an audit trail names it.
    public var actor: String {
        switch credential {
        case let .token(id): "token \(id)"
        case let .session(upn): upn.rawValue
        }
    }
}
