import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

/// `DOMAIN.md` section 4: a recharge is judged only after a request that charged money and left
/// the balance below the trigger, and once when auto-recharge is turned on or its trigger
/// raised; a request that charged nothing starts none, so a retry never charges the card again.
@Suite("What starts a recharge")
struct RechargeJudgementTests {
    /// Fabrikam with $100, "recharge $5 when the balance falls below $50", and a Pay-As-You-Go
    /// caller; a recharge leaves the balance still below the trigger, so every judgement counts.
    func fabrikam() async throws -> Calls {
        let calls = try await Calls()
        try await calls.billing.buy(100_00, autoRecharge: calls.billing.autoRecharge(5_00, below: 50_00))
        try await calls.user("payg", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        return calls
    }

    /// The recharges started so far, each run to its end; a quarter of an hour passes after
    /// each, so that the burst stop never decides.
    func recharges(_ calls: Calls) async throws -> Int {
        _ = try await calls.billing.service.runPendingRecharges()
        calls.clock.advance(seconds: 15 * 60)
        return try await calls.billing.stores.billing.recharges(for: calls.tenant, limit: 100).count
    }

    @Test("A repeated upload, refused records, an end an upload already charged and a repeated settings save start no recharge")
    func onlyChargesStartRecharges() async throws {
        let calls = try await fabrikam()
        // 60 minutes to a UK premium number: 90.10 USD, the balance 9.90, below the trigger.
        let premium = try calls.upload("u1", by: "payg", to: "+449012345678", duration: 3_600)
        #expect(try await calls.service.record([premium], for: calls.tenant).first.map { if case .charged = $0 { true } else { false } } == true)
        #expect(try await recharges(calls) == 1)

        let again = try await calls.service.record([premium], for: calls.tenant)
        #expect(again.allSatisfy { if case .duplicate = $0 { true } else { false } })
        #expect(try await recharges(calls) == 1, "the same upload again charged nothing, so it started nothing")

        let nobody = try calls.upload("u2", by: "nobody", to: "+12065550100", duration: 60)
        let refused = try await calls.service.record([nobody], for: calls.tenant)
        #expect(refused.allSatisfy { if case .refused = $0 { true } else { false } })
        #expect(try await recharges(calls) == 1, "an upload whose records were all refused")

        let settings = calls.billing.autoRecharge(5_00, below: 50_00)
        try await calls.billing.service.setAutoRecharge(settings, for: calls.tenant)
        #expect(try await recharges(calls) == 1, "the same settings saved again")
        try await calls.billing.service.setAutoRecharge(calls.billing.autoRecharge(5_00, below: 40_00), for: calls.tenant)
        #expect(try await recharges(calls) == 1, "a lower trigger")
        try await calls.billing.service.setAutoRecharge(calls.billing.autoRecharge(5_00, below: 60_00), for: calls.tenant)
        #expect(try await recharges(calls) == 2, "a raised trigger, with the balance below it, is judged once")

        // A call whose record the platform uploaded before its end: the end charges nothing.
        #expect(try await calls.start("c1", by: "payg", to: "+12065550100").allowed)
        _ = try await calls.service.record([try calls.upload("c1", by: "payg", to: "+12065550100", duration: 120)], for: calls.tenant)
        #expect(try await recharges(calls) == 3, "the upload charged, and was judged")
        _ = try await calls.end("c1", number: 2, duration: 120)
        _ = try await calls.end("c1", number: 2, duration: 120, elapsed: 0)
        #expect(try await recharges(calls) == 3, "the end that the upload already charged starts nothing, nor does its repeat")

        // A call that does charge at its end is judged.
        #expect(try await calls.start("c2", by: "payg", to: "+12065550100", number: 1).allowed)
        _ = try await calls.end("c2", number: 2, duration: 120)
        #expect(try await recharges(calls) == 4)
    }

    @Test func judgementOnSavingSettings() {
        let off = AutoRechargeSettings.off
        let on = try! AutoRechargeSettings(enabled: true, rechargeAmountMinor: 5_00, triggerAmountMinor: 50_00, currency: .usd)
        let higher = try! AutoRechargeSettings(enabled: true, rechargeAmountMinor: 5_00, triggerAmountMinor: 60_00, currency: .usd)
        #expect(AutoRechargeSettings.needsJudgement(from: off, to: on))
        #expect(AutoRechargeSettings.needsJudgement(from: on, to: higher))
        #expect(!AutoRechargeSettings.needsJudgement(from: on, to: on))
        #expect(!AutoRechargeSettings.needsJudgement(from: higher, to: on))
        #expect(!AutoRechargeSettings.needsJudgement(from: on, to: off))
    }
}
