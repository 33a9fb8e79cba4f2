public import CreditsCore
import CreditsStore

extension CallControlService {
    /// Sets the velocity alarm's hourly amount and multiple of the usual hourly spend (both
    /// nil: off). The usual spend is worked out at once when a multiple is set.
    @discardableResult
    public func setVelocityAlarm(
        hourlyAmountMinor: Int64?,
        usualMultiple: Int64?,
        of tenantId: TenantId,
        by actor: String
    ) async throws -> CallControls {
        guard let tenant = try await stores.directory.tenant(tenantId) else { throw Refusal.unknownTenant(tenantId) }
        var checked = VelocityAlarm.off
        try checked.set(hourlyAmountMinor: hourlyAmountMinor, usualMultiple: usualMultiple)
        let now = clock.now()
        let usual = usualMultiple == nil ? nil : try await usualHourlySpend(of: tenantId, at: now)
        return try await stores.calls.changeControls(of: tenantId, at: now) { controls in
            let before = controls.velocity
            try controls.velocity.set(hourlyAmountMinor: hourlyAmountMinor, usualMultiple: usualMultiple)
            if usualMultiple != nil { controls.velocity.usual = usual }
            return [
                ControlChange(
                    tenantId: tenantId,
                    at: now,
                    actor: actor,
                    subject: "Velocity alarm",
                    before: Self.describe(before, tenant.currency),
                    after: Self.describe(controls.velocity, tenant.currency)
                )
            ]
        }
    }

    /// Lets international and premium credit-paid calls through again; the sliding hour starts
    /// afresh. Resuming calls that are not suspended changes nothing.
    @discardableResult
    public func resumeSuspendedCalls(of tenantId: TenantId, by actor: String) async throws -> CallControls {
        guard let tenant = try await stores.directory.tenant(tenantId) else { throw Refusal.unknownTenant(tenantId) }
        let now = clock.now()
        return try await stores.calls.changeControls(of: tenantId, at: now) { controls in
            guard let suspension = controls.velocity.suspension else { return [] }
            controls.velocity.suspension = nil
            return [
                ControlChange(
                    tenantId: tenantId,
                    at: now,
                    actor: actor,
                    subject: "International and premium calls paid from the credits",
                    before:
                        "suspended since \(ReadableDate.minute(suspension.since)) UTC (\(MoneyText.forPeople(suspension.spentMinor, tenant.currency)) in an hour)",
                    after: "resumed"
                )
            ]
        }
    }

    /// The alarm with the sliding hour's charges and holds.
    public func velocityStatus(of tenantId: TenantId) async throws -> VelocityStatus {
        let alarm = try await controls(of: tenantId).velocity
        let now = clock.now()
        let charged = try await stores.calls.recentSpend(of: tenantId, at: now)
        let held = try await stores.ledger.statement(for: tenantId, at: now).figures.heldMinor
        return VelocityStatus(alarm: alarm, charged: charged, heldMinor: held, at: now)
    }

    /// Works out again the usual hourly spend of every tenant judged by it whose figure is from
    /// an earlier day; returns how many were worked out.
    public func refreshUsualSpend() async throws -> Int {
        let now = clock.now()
        let today = now.civilDateAndTime.date
        var refreshed = 0
        for (tenantId, controls) in try await stores.calls.everyTenantsControls()
        where controls.velocity.usualMultiple != nil && controls.velocity.usual?.computedOn != today {
            let usual = try await usualHourlySpend(of: tenantId, at: now)
            _ = try await stores.calls.changeControls(of: tenantId, at: now) { controls in
                if controls.velocity.usualMultiple != nil { controls.velocity.usual = usual }
                return []
            }
            refreshed += 1
        }
        return refreshed
    }

    /// The 95th percentile of the hourly credit spend over the funding advice's history days.
    private func usualHourlySpend(of tenantId: TenantId, at now: Instant) async throws -> UsualHourlySpend {
        let firstPurchase = try await stores.ledger.statement(for: tenantId, at: now).lots.map(\.purchasedAt).min()
        let days = FundingAdvice.historyDays(firstPurchase: firstPurchase, at: now)
        let today = now.civilDateAndTime.date
        guard let first = days.first?.instant(), let last = days.last else { return UsualHourlySpend(hourly: [], computedOn: today) }
        let hour = Instant.millisecondsPerDay / 24
        let end = last.instant().adding(days: 1)
        let charges = try await stores.calls.charges(
            for: tenantId,
            from: first,
            to: end,
            periodMilliseconds: hour,
            paidBy: Set(Capability.allCases.filter(\.isCredits))
        )
        let hourly = stride(from: first.millisecondsSinceEpoch, to: end.millisecondsSinceEpoch, by: Int(hour)).map {
            charges[Instant(millisecondsSinceEpoch: $0)] ?? 0
        }
        return UsualHourlySpend(hourly: hourly, computedOn: today)
    }

    /// "over $50.00 an hour, or 5 × the usual hourly spend", as the audit trail writes it.
    static func describe(_ alarm: VelocityAlarm, _ currency: Currency) -> String {
        var parts: [String] = []
        if let amount = alarm.hourlyAmountMinor { parts.append("over \(MoneyText.forPeople(amount, currency)) an hour") }
        if let multiple = alarm.usualMultiple { parts.append("over \(multiple) × the usual hourly spend") }
        return parts.isEmpty ? "off" : parts.joined(separator: ", or ")
    }
}
