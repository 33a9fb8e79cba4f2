public import CreditsCore
public import CreditsStore

/// A tenant's call controls: reads them, changes them with a line in the audit trail naming who
/// changed what, and shows the trail.
public struct CallControlService: Sendable {
    let stores: Stores
    let clock: any CreditsClock

    public init(stores: Stores, clock: any CreditsClock) {
        self.stores = stores
        self.clock = clock
    }

    /// The service's clock: the month a page shows spend for.
    public var now: Instant { clock.now() }

    public func controls(of tenantId: TenantId) async throws -> CallControls {
        try await checkTenant(tenantId)
        return try await stores.calls.controls(of: tenantId)
    }

    /// The rules of the whole tenant, or (`user` given) that user's own, which apply as well;
    /// `nil` takes a user's own rules away.
    @discardableResult
    public func setDestinationRules(
        _ rules: DestinationRules?,
        of tenantId: TenantId,
        user: UserPrincipalName? = nil,
        by actor: String
    ) async throws -> CallControls {
        try await checkTenant(tenantId)
        if let user, try await stores.directory.user(user, in: tenantId) == nil { throw Refusal.unknownUser(user.rawValue) }
        let now = clock.now()
        return try await stores.calls.changeControls(of: tenantId, at: now) { controls in
            let subject: String
            let before: DestinationRules
            if let user {
                subject = "Destination rules of \(user)"
                before = controls.userDestinations[user] ?? .open
                try controls.setDestinations(rules, of: user)
            } else {
                subject = "Destination rules of the tenant"
                before = controls.destinations
                controls.destinations = rules ?? .open
            }
            let after = user.map { controls.userDestinations[$0] ?? .open } ?? controls.destinations
            return [ControlChange(tenantId: tenantId, at: now, actor: actor, subject: subject, before: before.description, after: after.description)]
        }
    }

    /// Sets `user`'s monthly credit spend limit (`nil`: takes it away). A limit lowered under a
    /// call in progress lets it finish its grant; it gets no more.
    @discardableResult
    public func setSpendLimit(_ limitMinor: Int64?, of tenantId: TenantId, user: UserPrincipalName, by actor: String) async throws -> CallControls {
        try await changeMonthlyAmount(limitMinor, of: tenantId, user: user, subject: "Spend limit of \(user)", none: "no limit", by: actor) {
            controls in
            let before = controls.userSpendLimits[user]
            try controls.setSpendLimit(limitMinor, of: user)
            return before
        }
    }

    /// Sets each line's user's spend limit and own destination rules, all or nothing: a line
    /// naming a user the tenant does not have refuses the whole file. One audit line for each
    /// user whose controls changed. Returns how many lines were applied.
    public func importUserControls(_ lines: [NumberedLine<UserControlLine>], of tenantId: TenantId, by actor: String) async throws -> Int {
        guard let tenant = try await stores.directory.tenant(tenantId) else { throw Refusal.unknownTenant(tenantId) }
        let known = Set(try await stores.directory.allUsers(in: tenantId).map(\.upn))
        let unknown = lines.filter { !known.contains($0.value.upn) }.map { LineError(line: $0.line, error: .unknownUser($0.value.upn.rawValue)) }
        guard unknown.isEmpty else { throw RefusedLines(lines: unknown) }
        let now = clock.now()
        let describe: @Sendable (Int64?, DestinationRules?) -> String = { limit, rules in
            Self.monthly(limit, tenant.currency, none: "no limit") + "; "
                + (rules?.description ?? "no rules of their own")
        }
        _ = try await stores.calls.changeControls(of: tenantId, at: now) { controls in
            var changes: [ControlChange] = []
            var refused: [LineError] = []
            for line in lines {
                let upn = line.value.upn
                let was = describe(controls.userSpendLimits[upn], controls.userDestinations[upn])
                do throws(Refusal) {
                    try controls.setSpendLimit(line.value.limitMinor, of: upn)
                    try controls.setDestinations(line.value.destinations, of: upn)
                } catch {
                    refused.append(LineError(line: line.line, error: error))
                    continue
                }
                let becomes = describe(controls.userSpendLimits[upn], controls.userDestinations[upn])
                if was != becomes {
                    changes.append(
                        ControlChange(
                            tenantId: tenantId,
                            at: now,
                            actor: actor,
                            subject: "Controls of \(upn) (imported)",
                            before: was,
                            after: becomes
                        )
                    )
                }
            }
            guard refused.isEmpty else { throw RefusedLines(lines: refused) }
            return changes
        }
        return lines.count
    }

    /// Sets the monthly cap on auto-recharge (`nil`: takes it away). A cap raised above this
    /// month's recharges lets the next charge that calls for one start it.
    @discardableResult
    public func setRechargeCap(_ capMinor: Int64?, of tenantId: TenantId, by actor: String) async throws -> CallControls {
        try await changeMonthlyAmount(capMinor, of: tenantId, subject: "Monthly cap on auto-recharge", none: "no cap", by: actor) { controls in
            let before = controls.monthlyRechargeCapMinor
            try controls.setRechargeCap(capMinor)
            return before
        }
    }

    /// Sets one monthly amount of the controls (a spend limit, the recharge cap) with `change`,
    /// which returns the amount before, and writes its audit line: `subject`, from before to
    /// after in the tenant's currency (`none` for no amount). `user`, when given, must be the tenant's.
    func changeMonthlyAmount(
        _ minor: Int64?,
        of tenantId: TenantId,
        user: UserPrincipalName? = nil,
        subject: String,
        none: String,
        by actor: String,
        _ change: @escaping @Sendable (inout CallControls) throws -> Int64?
    ) async throws -> CallControls {
        guard let tenant = try await stores.directory.tenant(tenantId) else { throw Refusal.unknownTenant(tenantId) }
        if let user, try await stores.directory.user(user, in: tenantId) == nil { throw Refusal.unknownUser(user.rawValue) }
        let now = clock.now()
        let describe: @Sendable (Int64?) -> String = { Self.monthly($0, tenant.currency, none: none) }
        return try await stores.calls.changeControls(of: tenantId, at: now) { controls in
            let before = try change(&controls)
            return [ControlChange(tenantId: tenantId, at: now, actor: actor, subject: subject, before: describe(before), after: describe(minor))]
        }
    }

    /// The cap, what recharges added this month, and whether another would pass it.
    public func rechargeCap(of tenantId: TenantId) async throws -> RechargeCapStatus? {
        guard let cap = try await controls(of: tenantId).monthlyRechargeCapMinor else { return nil }
        let now = clock.now()
        let recharged = try await stores.billing.rechargeHistory(for: tenantId, at: now).rechargedThisMonthMinor
        let next = try await stores.billing.settings(for: tenantId).autoRecharge.rechargeAmountMinor
        return RechargeCapStatus(
            capMinor: cap,
            month: CalendarMonth(of: now),
            rechargedMinor: recharged,
            paused: RechargePolicy.capReached(cap, rechargedMinor: recharged, nextMinor: next)
        )
    }

    /// Every user with a limit, with this month's spend and what is left.
    public func spendLimits(of tenantId: TenantId) async throws -> [SpendLimitUse] {
        let controls = try await controls(of: tenantId)
        let month = CalendarMonth(of: clock.now())
        let spends = Dictionary(uniqueKeysWithValues: try await stores.calls.userSpends(of: tenantId, month: month).map { ($0.slot, $0) })
        return controls.userSpendLimits.sorted { $0.key.rawValue < $1.key.rawValue }.map { upn, limit in
            let slot = MonthlySpend.Slot(upn: upn, month: month)
            return SpendLimitUse(limitMinor: limit, spend: spends[slot] ?? MonthlySpend(slot: slot))
        }
    }

    /// One user's limit (nil when none) and this month's spend.
    public func spendLimit(of tenantId: TenantId, user: UserPrincipalName) async throws -> (limitMinor: Int64?, spend: MonthlySpend) {
        let controls = try await controls(of: tenantId)
        guard try await stores.directory.user(user, in: tenantId) != nil else { throw Refusal.unknownUser(user.rawValue) }
        let month = CalendarMonth(of: clock.now())
        let slot = MonthlySpend.Slot(upn: user, month: month)
        let spend = try await stores.calls.userSpends(of: tenantId, month: month).first { $0.slot == slot }
        return (controls.userSpendLimits[user], spend ?? MonthlySpend(slot: slot))
    }

    /// The audit trail, newest first.
    public func changes(of tenantId: TenantId, before: Int64? = nil, limit: Int) async throws -> [NumberedControlChange] {
        try await checkTenant(tenantId)
        return try await stores.calls.controlChanges(of: tenantId, before: before, limit: limit)
    }

    /// "$50.00 a month", or `none`: an amount as the audit trail writes it.
    private static func monthly(_ minor: Int64?, _ currency: Currency, none: String) -> String {
        minor.map { MoneyText.forPeople($0, currency) + " a month" } ?? none
    }

    private func checkTenant(_ tenantId: TenantId) async throws {
        guard try await stores.directory.tenant(tenantId) != nil else { throw Refusal.unknownTenant(tenantId) }
    }
}

/// A user's or a unit's monthly limit with what this month's calls spent and hold of it.
public struct SpendLimitUse: Hashable, Sendable {
    public let limitMinor: Int64
    public let spend: MonthlySpend

    public var leftMinor: Int64 { spend.leftMinor(under: limitMinor) }
}

/// The monthly cap on auto-recharge as it stands this month.
public struct RechargeCapStatus: Hashable, Sendable {
    public let capMinor: Int64
    public let month: CalendarMonth
    /// What recharges started this month added or are adding.
    public let rechargedMinor: Int64
    /// Another recharge would pass the cap: auto-recharge waits for next month (UTC).
    public let paused: Bool
}
