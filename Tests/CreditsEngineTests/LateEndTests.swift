import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

/// A late *end* replaces the time-out's charge of its session with the real duration's, once,
/// within an hour of the session's deadline (`DOMAIN.md` section 7, `CallLimits.checkLateEnd`).
@Suite("Late ends correct a time-out's charge")
struct LateEndTests {
    func end(_ calls: Calls, _ session: String, number: Int64, duration: Int64) async throws -> CallAnswer {
        try await calls.service.end(
            CallSessionId(session),
            requestNumber: number,
            durationSeconds: duration,
            endTime: calls.clock.now(),
            for: calls.tenant
        )
    }

    /// Starts a call and lets it go silent until its time-out charges the whole grant.
    func timedOut(_ calls: Calls, _ session: String, by user: String, to callee: String, from caller: String = "+12065550111") async throws {
        _ = try await calls.start(session, by: user, to: callee, from: caller)
        calls.clock.advance(seconds: 1_200)
        #expect(try await calls.service.expireSilentCalls() == 1)
        #expect(try await calls.records().first { $0.usageId == session }?.source == .timeout)
    }

    @Test("A late end charges the real duration, gives the rest back, replaces the record; a repeat gets the same answer, a second end is refused")
    func creditsCall() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(10_00)
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        try await timedOut(calls, "s", by: "nestor", to: "+12065550100")
        #expect(try await calls.billing.balance().balanceMinor == 10_00 - 10, "ten minutes at a cent")

        calls.clock.advance(seconds: 120)
        let corrected = try await end(calls, "s", number: 2, duration: 125)
        #expect(corrected.chargeMinor == 3 && corrected.replacedChargeMinor == 10 && corrected.durationSeconds == 125, "three started minutes")
        #expect(try await calls.billing.balance() == CreditFigures(freeMinor: 10_00 - 3, heldMinor: 0, debtMinor: 0))
        let records = try await calls.records()
        #expect(records.count == 1 && records[0].source == .lateEnd && records[0].durationSeconds == 125 && records[0].chargeMinor == 3)
        #expect(try await end(calls, "s", number: 2, duration: 125) == corrected, "a repeat")
        await expectRefusal(.sessionClosed) { try await end(calls, "s", number: 3, duration: 60) }
        await expectRefusal(.requestConflict) { try await end(calls, "s", number: 2, duration: 60) }
        #expect(try await calls.billing.balance().balanceMinor == 10_00 - 3, "nothing given back twice")
        try await calls.expectConserved()
    }

    @Test("What goes back returns to the lots it was spent from, the last drawn first, a spent lot included")
    func backToItsLots() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(10_00)
        calls.clock.advance(seconds: 60)
        try await calls.billing.buy(10_00)
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        // A premium number: 1.50 a minute plus a 0.10 fee, by the minute; ten minutes, 15.10, span both lots.
        try await timedOut(calls, "premium", by: "nestor", to: "+449012345678")
        let charged = try #require(try await calls.records().first?.chargeMinor)
        #expect(try await calls.billing.lots().map(\.freeMinor) == [0, 20_00 - charged], "the first lot spent, the second drawn")

        let corrected = try await end(calls, "premium", number: 2, duration: 50)
        #expect(corrected.chargeMinor == 1_60 && corrected.replacedChargeMinor == charged)
        let back = charged - 1_60
        #expect(try await calls.billing.lots().map(\.freeMinor) == [back - (charged - 10_00), 10_00], "the second lot refilled first")
        #expect(try await calls.billing.balance().balanceMinor == 20_00 - 1_60)
        try await calls.expectConserved()
    }

    @Test("A pool gets its minutes back")
    func poolCall() async throws {
        let calls = try await Calls()
        try await calls.user("dana", in: "GB", [.phoneSystem, .domesticCallingPlan120])
        try await timedOut(calls, "p", by: "dana", to: "+442071234567", from: "+442030000001")
        #expect(try await calls.pool("MCOPSTN5/GB")?.used == 600)
        let corrected = try await end(calls, "p", number: 2, duration: 61)
        #expect(corrected.capability == .domesticCallingPlan120 && corrected.chargeMinor == 0)
        #expect(try await calls.pool("MCOPSTN5/GB")?.used == 120, "two started minutes")
    }

    @Test("After the window, or past a post-usage call's month, the time-out's charge stands")
    func windowCloses() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(10_00)
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        try await timedOut(calls, "late", by: "nestor", to: "+12065550100")
        calls.clock.advance(seconds: CallLimits.lateEndWindowSeconds)
        await expectRefusal(.lateEndWindowClosed) { try await end(calls, "late", number: 2, duration: 30) }
        #expect(try await calls.records().first?.source == .timeout)
        #expect(try await calls.billing.balance().balanceMinor == 10_00 - 10)

        let postUsage = try await Calls(commerceModel: .nce)
        try await postUsage.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        postUsage.clock.advance(to: ISO8601.parse("2027-03-31T23:45:00Z")!)
        try await timedOut(postUsage, "march", by: "nestor", to: "+12065550100")
        #expect(try await postUsage.records().first?.capability == .postUsage)
        await expectRefusal(.lateEndWindowClosed) { try await end(postUsage, "march", number: 2, duration: 30) }
        try await timedOut(postUsage, "april", by: "nestor", to: "+12065550100")
        let corrected = try await end(postUsage, "april", number: 2, duration: 30)
        #expect(corrected.chargeMinor == 1 && corrected.replacedChargeMinor == 10, "within its month, a post-usage call is corrected too")
    }
}
