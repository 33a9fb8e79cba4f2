import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

@Suite("Monthly spend limits of administrative units on the call path")
struct UnitSpendLimitTests {
    let sales = try! AdministrativeUnit("Sales")
    let emea = try! AdministrativeUnit("EMEA")

    /// $10 of credits; Nestor and Pat on Pay-As-You-Go in `units`, Olga on Pay-As-You-Go in
    /// none. Calls to the US cost 1 cent a minute, by the minute.
    func funded(units: Set<AdministrativeUnit>) async throws -> (Calls, CallControlService, DirectoryService) {
        let calls = try await Calls()
        try await calls.billing.buy(10_00)
        let directory = calls.billing.directoryService
        for name in ["nestor", "pat", "olga"] {
            let upn = try await calls.user(name, [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
            if name != "olga" { _ = try await directory.setAdministrativeUnits(units, of: upn, in: calls.tenant) }
        }
        return (calls, CallControlService(stores: calls.billing.stores, clock: calls.clock), directory)
    }

    func told(_ calls: Calls) async throws -> [String] {
        try await calls.billing.stores.notifications.notifications(for: calls.tenant, before: nil, limit: 100).compactMap {
            if case let .unitSpendLimitUsed(unit, _, percent, limit) = $0.notification.event { "\(unit) \(percent) of \(limit)" } else { nil }
        }.sorted()
    }

    @Test("The unit's users share its limit, to the last cent; a user outside it goes on; 80 % and 100 % are told once")
    func sharedLimit() async throws {
        let (calls, controls, _) = try await funded(units: [sales])
        try await controls.setSpendLimit(5, of: calls.tenant, unit: sales, by: "amy@fabrikam.com")
        let first = try await calls.start("n1", by: "nestor", to: "+12065550100")
        #expect(first.allowed && first.grantedSeconds == 300 && first.finalGrant, "5 cents buy 5 minutes")
        let second = try await calls.start("p1", by: "pat", to: "+12065550100")
        #expect(!second.allowed && second.reason == .spendLimitReached, "Nestor's hold takes what the unit's limit leaves")
        #expect(try await calls.start("o1", by: "olga", to: "+12065550100").grantedSeconds == 600, "Olga is in no unit")
        #expect(try await calls.end("n1", number: 2, duration: 120).chargeMinor == 2)
        let after = try await calls.start("p2", by: "pat", to: "+12065550100")
        #expect(after.allowed && after.grantedSeconds == 180, "3 cents are left to the unit")
        _ = try await calls.end("p2", number: 2, duration: 180)
        #expect(try await calls.start("n2", by: "nestor", to: "+12065550100").reason == .spendLimitReached)
        #expect(try await calls.start("e1", .emergencyOut, by: "pat", to: "+12065550100").allowed, "emergency calls are never refused")
        let limits = try await controls.unitSpendLimits(of: calls.tenant)
        #expect(limits.map(\.spend.slot.spender) == [.unit(sales)] && limits.first?.spend.spentMinor == 5 && limits.first?.leftMinor == 0)
        #expect(try await told(calls) == ["Sales 100 of 5", "Sales 80 of 5"])
    }

    @Test("The tightest of the user's limit and each unit's refuses, and the 100 % notice names the one that refused")
    func tightest() async throws {
        let (calls, controls, _) = try await funded(units: [sales, emea])
        let nestor = try UserPrincipalName("nestor@fabrikam.com")
        try await controls.setSpendLimit(5, of: calls.tenant, user: nestor, by: "amy")
        try await controls.setSpendLimit(9, of: calls.tenant, unit: sales, by: "amy")
        try await controls.setSpendLimit(3, of: calls.tenant, unit: emea, by: "amy")
        #expect(try await calls.start("n1", by: "nestor", to: "+12065550100").grantedSeconds == 180, "EMEA's 3 cents")
        #expect(try await calls.start("n2", by: "nestor", to: "+12065550100").reason == .spendLimitReached)
        #expect(try await told(calls) == ["EMEA 100 of 3"], "a hold is not yet a spend: only the refusal is told")
        _ = try await calls.end("n1", number: 2, duration: 180)
        let spends = try await controls.unitSpendLimits(of: calls.tenant).map { "\($0.spend.slot.spender.name) \($0.spend.spentMinor)" }
        #expect(spends == ["EMEA 3", "Sales 3"], "the charge counts in every unit of the call")
        #expect(try await controls.spendLimit(of: calls.tenant, user: nestor).spend.spentMinor == 3)
    }

    @Test("A call counts in the units its user was in when it started; a limit set mid-month starts from the records naming the unit")
    func unitsAtTheStart() async throws {
        let (calls, controls, directory) = try await funded(units: [sales])
        let nestor = try UserPrincipalName("nestor@fabrikam.com")
        _ = try await calls.billing.stores.calls.recordUsage(
            [try calls.upload("u1", by: "nestor", to: "+12065550100", duration: 480)],
            rates: try await calls.billing.stores.calls.rateBook(),
            settings: CallDesk.Settings(),
            for: calls.tenant,
            at: calls.clock.now()
        )
        #expect(try await calls.start("n1", by: "nestor", to: "+12065550100").grantedSeconds == 600)
        try await controls.setSpendLimit(20, of: calls.tenant, unit: sales, by: "amy")
        let set = try await controls.unitSpendLimits(of: calls.tenant).first
        #expect(set?.spend.spentMinor == 8 && set?.spend.heldMinor == 10 && set?.leftMinor == 2, "the upload's 8 cents, the open call's hold")
        _ = try await directory.setAdministrativeUnits([emea], of: nestor, in: calls.tenant)
        #expect(try await calls.start("p1", by: "pat", to: "+12065550100").grantedSeconds == 120, "Nestor's open call still holds in Sales")
        _ = try await calls.end("n1", number: 2, duration: 60)
        #expect(try await controls.unitSpendLimits(of: calls.tenant).first?.spend.spentMinor == 9, "charged to Sales, where it started")
        #expect(try await calls.start("n2", by: "nestor", to: "+12065550100").grantedSeconds == 600, "Nestor is no longer in Sales")
        try await controls.setSpendLimit(1_00, of: calls.tenant, unit: emea, by: "amy")
        let emeaSpend = try await controls.unitSpendLimits(of: calls.tenant).first { $0.spend.slot.spender == .unit(emea) }
        #expect(emeaSpend?.spend.spentMinor == 0 && emeaSpend?.spend.heldMinor == 10, "no record names EMEA; the new call holds there")
    }

    @Test("An uploaded record that names its units counts in those, not in the user's")
    func uploadNamingItsUnits() async throws {
        let (calls, controls, _) = try await funded(units: [sales])
        try await controls.setSpendLimit(10, of: calls.tenant, unit: sales, by: "amy")
        try await controls.setSpendLimit(10, of: calls.tenant, unit: emea, by: "amy")
        _ = try await calls.billing.stores.calls.recordUsage(
            [
                try calls.upload("u1", by: "nestor", to: "+12065550100", duration: 240, administrativeUnits: "EMEA"),
                try calls.upload("u2", by: "pat", to: "+12065550100", duration: 60),
            ],
            rates: try await calls.billing.stores.calls.rateBook(),
            settings: CallDesk.Settings(),
            for: calls.tenant,
            at: calls.clock.now()
        )
        let spends = try await controls.unitSpendLimits(of: calls.tenant).map { "\($0.spend.slot.spender.name) \($0.spend.spentMinor)" }
        #expect(spends == ["EMEA 4", "Sales 1"])
        #expect(try await calls.start("n1", by: "nestor", to: "+12065550100").grantedSeconds == 540, "Nestor is in Sales: 9 cents left there")
    }

    @Test("A limit out of bounds is refused; a unit nobody is in may have one; every change is in the trail")
    func refusalsAndTrail() async throws {
        let (calls, controls, _) = try await funded(units: [])
        await expectRefusal(.invalidMonthlyLimitMinor) { try await controls.setSpendLimit(-1, of: calls.tenant, unit: sales, by: "amy") }
        await expectRefusal(.invalidMonthlyLimitMinor) { try await controls.setSpendLimit(.max, of: calls.tenant, unit: sales, by: "amy") }
        try await controls.setSpendLimit(0, of: calls.tenant, unit: sales, by: "amy@fabrikam.com")
        #expect(try await calls.start("n1", by: "nestor", to: "+12065550100").grantedSeconds == 600, "Nestor is not in Sales")
        try await controls.setSpendLimit(nil, of: calls.tenant, unit: sales, by: "amy@fabrikam.com")
        let trail = try await controls.changes(of: calls.tenant, limit: 10).map(\.change)
        #expect(trail.map(\.subject) == Array(repeating: "Spend limit of administrative unit Sales", count: 2))
        #expect(trail[1].before == "no limit" && trail[1].after == "$0.00 a month" && trail[0].after == "no limit")
        #expect(try await controls.unitSpendLimits(of: calls.tenant).isEmpty)
    }
}
