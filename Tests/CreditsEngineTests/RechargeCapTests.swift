import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

@Suite("The monthly cap on auto-recharge")
struct RechargeCapTests {
    /// $100 bought by card, "recharge $50 when the balance falls below $20", and a cap of $120 a month.
    func capped() async throws -> (Billing, CallControlService) {
        let billing = try await Billing()
        try await billing.buy(100_00, autoRecharge: billing.autoRecharge(50_00, below: 20_00))
        let controls = CallControlService(stores: billing.stores, clock: billing.clock)
        try await controls.setRechargeCap(120_00, of: billing.tenant, by: "amy@fabrikam.com")
        return (billing, controls)
    }

    func charge(_ billing: Billing, _ amountMinor: Int64, _ key: String) async throws {
        _ = try await billing.service.charge(amountMinor, coverage: .mayIncurDebt, to: billing.tenant, key: billing.key(key))
        _ = try await billing.service.runPendingRecharges()
    }

    @Test("Recharges stop before the one that would pass the cap, the administrators hear once, a purchase still works, next month resumes")
    func capReached() async throws {
        let (billing, controls) = try await capped()
        try await charge(billing, 85_00, "a")
        try await charge(billing, 50_00, "b")
        #expect(try await billing.stores.billing.recharges(for: billing.tenant, limit: 10).map(\.state) == [.succeeded, .succeeded], "$100 of $120")
        let before = try #require(try await controls.rechargeCap(of: billing.tenant))
        #expect(before.rechargedMinor == 100_00 && before.paused, "another $50 would pass the cap")
        try await charge(billing, 50_00, "c")
        try await charge(billing, 5_00, "d")
        #expect(try await billing.stores.billing.recharges(for: billing.tenant, limit: 10).count == 2, "no third recharge this month")
        let told = try await billing.stores.notifications.notifications(for: billing.tenant, before: nil, limit: 50).map(\.notification.event)
            .filter { $0.kind == .rechargeCapReached }
        #expect(told == [.rechargeCapReached(month: CalendarMonth(of: billing.clock.now()), capMinor: 120_00)], "told once")
        try await billing.buy(10_00)
        #expect(try await billing.balance().balanceMinor == 100_00 + 100_00 - 190_00 + 10_00, "a purchase by hand still works")

        billing.clock.advance(to: CalendarMonth(of: billing.clock.now()).start.adding(months: 1))
        #expect(try await controls.rechargeCap(of: billing.tenant)?.paused == false, "a new month")
        try await charge(billing, 1, "e")
        #expect(try await billing.stores.billing.recharges(for: billing.tenant, limit: 10).count == 3)
    }

    @Test("A cap raised or taken away lets the next charge recharge; a cap out of bounds is refused; each change is in the trail")
    func changes() async throws {
        let (billing, controls) = try await capped()
        try await controls.setRechargeCap(0, of: billing.tenant, by: "amy@fabrikam.com")
        try await charge(billing, 85_00, "a")
        #expect(try await billing.stores.billing.recharges(for: billing.tenant, limit: 10).isEmpty, "a cap of 0 stops every recharge")
        try await controls.setRechargeCap(nil, of: billing.tenant, by: "amy@fabrikam.com")
        try await charge(billing, 1, "b")
        #expect(try await billing.stores.billing.recharges(for: billing.tenant, limit: 10).map(\.state) == [.succeeded])
        await expectRefusal(.invalidMonthlyCapMinor) { try await controls.setRechargeCap(-1, of: billing.tenant, by: "amy") }
        let trail = try await controls.changes(of: billing.tenant, limit: 10).map(\.change)
        #expect(
            trail.map(\.after) == ["no cap", "$0.00 a month", "$120.00 a month"] && trail.allSatisfy { $0.subject == "Monthly cap on auto-recharge" }
        )
    }
}
