public import CreditsCore
import CreditsStore

extension CallControlService {
    /// Sets the monthly credit spend limit of an administrative unit's users together (`nil`:
    /// takes it away). A unit no user is in yet may have one: it applies once users join it.
    @discardableResult
    public func setSpendLimit(_ limitMinor: Int64?, of tenantId: TenantId, unit: AdministrativeUnit, by actor: String) async throws -> CallControls {
        try await changeMonthlyAmount(limitMinor, of: tenantId, subject: "Spend limit of administrative unit \(unit)", none: "no limit", by: actor) {
            controls in
            let before = controls.unitSpendLimits[unit]
            try controls.setSpendLimit(limitMinor, of: unit)
            return before
        }
    }

    /// Every administrative unit with a limit, with this month's spend and what is left.
    public func unitSpendLimits(of tenantId: TenantId) async throws -> [SpendLimitUse] {
        let controls = try await controls(of: tenantId)
        let month = CalendarMonth(of: clock.now())
        let spends = Dictionary(uniqueKeysWithValues: try await stores.calls.unitSpends(of: tenantId, month: month).map { ($0.slot, $0) })
        return controls.unitSpendLimits.sorted { $0.key < $1.key }.map { unit, limit in
            let slot = MonthlySpend.Slot(.unit(unit), month: month)
            return SpendLimitUse(limitMinor: limit, spend: spends[slot] ?? MonthlySpend(slot: slot))
        }
    }
}
