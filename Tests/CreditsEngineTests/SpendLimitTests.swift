import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

@Suite("Monthly spend limits on the call path")
struct SpendLimitTests {
    /// $10 of credits; Nestor on Pay-As-You-Go, Dana with a domestic calling plan, both with the
    /// credits license. Calls to the US cost 1 cent a minute, by the minute.
    func funded(balanceMinor: Int64 = 10_00) async throws -> (Calls, CallControlService, UserPrincipalName) {
        let calls = try await Calls()
        try await calls.billing.buy(balanceMinor)
        let nestor = try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        try await calls.user("dana", [.phoneSystem, .domesticCallingPlan, .communicationsCredits])
        return (calls, CallControlService(stores: calls.billing.stores, clock: calls.clock), nestor)
    }

    func events(_ calls: Calls) async throws -> [CreditEvent] {
        try await calls.billing.stores.notifications.notifications(for: calls.tenant, before: nil, limit: 100).map(\.notification.event)
            .filter { $0.kind == .spendLimitUsed }
    }

    @Test("The grant is capped by what the limit leaves, to the last cent; then the user's credit-paid calls are refused, others not")
    func lastCent() async throws {
        let (calls, controls, nestor) = try await funded()
        // Judged once before the limit, so that the tenant's kept state must see the change.
        #expect(try await calls.start("warm", by: "nestor", to: "+12065550100").allowed)
        #expect(try await calls.end("warm", number: 2, duration: 0).chargeMinor == 0)
        try await controls.setSpendLimit(5, of: calls.tenant, user: nestor, by: "amy@fabrikam.com")
        let capped = try await calls.start("c1", by: "nestor", to: "+12065550100")
        #expect(capped.allowed && capped.grantedSeconds == 300 && capped.finalGrant, "5 cents buy 5 minutes")
        #expect(try await calls.billing.balance().heldMinor == 5)
        let second = try await calls.start("c2", by: "nestor", to: "+12065550100")
        #expect(!second.allowed && second.reason == .spendLimitReached, "the first call's hold takes all the limit leaves")
        #expect(second.refusalDetail?.contains("spend limit") == true)
        let ended = try await calls.end("c1", number: 2, duration: 240)
        #expect(ended.chargeMinor == 4)
        let oneCent = try await calls.start("c3", by: "nestor", to: "+12065550100")
        #expect(oneCent.allowed && oneCent.grantedSeconds == 60, "the last cent buys the last minute")
        _ = try await calls.end("c3", number: 2, duration: 60)
        #expect(try await calls.start("c4", by: "nestor", to: "+12065550100").reason == .spendLimitReached)
        #expect(try await calls.start("d1", by: "dana", to: "+12065550100").capability == .domesticCallingPlan, "another user goes on")
        #expect(try await calls.start("e1", .emergencyOut, by: "nestor", to: "+12065550100").allowed, "emergency calls are never refused")
        let limit = try await controls.spendLimit(of: calls.tenant, user: nestor)
        #expect(limit.limitMinor == 5 && limit.spend.spentMinor == 5 && limit.spend.heldMinor == 0)
        #expect(try await calls.billing.balance().balanceMinor == 10_00 - 5)
        let told = try await events(calls).compactMap { event -> Int64? in
            if case let .spendLimitUsed(upn, _, percent, limitMinor) = event, upn == nestor, limitMinor == 5 { percent } else { nil }
        }
        #expect(told.sorted() == [80, 100], "80 % and 100 % told once each")
    }

    @Test("Whichever is smaller refuses, the balance or what the limit leaves, and the reason says which")
    func balanceOrLimit() async throws {
        let (calls, controls, nestor) = try await funded(balanceMinor: 1_00)
        // A UK premium minute costs $1.50 and a 10-cent fee: $1 does not buy one.
        try await controls.setSpendLimit(5_00, of: calls.tenant, user: nestor, by: "amy")
        #expect(try await calls.start("c1", by: "nestor", to: "+449012345678").reason == .insufficientBalance)
        try await controls.setSpendLimit(50, of: calls.tenant, user: nestor, by: "amy")
        #expect(try await calls.start("c2", by: "nestor", to: "+449012345678").reason == .spendLimitReached)
    }

    @Test("A limit lowered under a call in progress lets it finish its grant and gives no more")
    func loweredUnderACall() async throws {
        let (calls, controls, nestor) = try await funded()
        try await controls.setSpendLimit(1_00, of: calls.tenant, user: nestor, by: "amy")
        #expect(try await calls.start("c1", by: "nestor", to: "+12065550100").grantedSeconds == 600)
        try await controls.setSpendLimit(3, of: calls.tenant, user: nestor, by: "amy")
        calls.clock.advance(seconds: 590)
        let rest = try await calls.update("c1", number: 2, used: 590)
        #expect(rest.allowed && rest.grantedSeconds == 10 && rest.finalGrant, "what it holds already")
        calls.clock.advance(seconds: 10)
        let more = try await calls.update("c1", number: 3, used: 600)
        #expect(!more.allowed && more.reason == .spendLimitReached)
        let ended = try await calls.end("c1", number: 4, duration: 600, elapsed: 0)
        #expect(ended.chargeMinor == 10, "the grant made under the old limit is charged in full")
        #expect(try await controls.spendLimit(of: calls.tenant, user: nestor).spend.spentMinor == 10)
        #expect(try await controls.spendLimits(of: calls.tenant).first?.leftMinor == 0, "beyond the limit leaves nothing, never less")
    }

    @Test("Limits reset with the calendar month (UTC); uploads count toward them; pool-paid calls do not")
    func monthsAndUploads() async throws {
        let (calls, controls, nestor) = try await funded()
        let dana = try UserPrincipalName("dana@fabrikam.com")
        try await controls.setSpendLimit(10, of: calls.tenant, user: nestor, by: "amy")
        try await controls.setSpendLimit(0, of: calls.tenant, user: dana, by: "amy")
        _ = try await calls.billing.stores.calls.recordUsage(
            [try calls.upload("u1", by: "nestor", to: "+12065550100", duration: 480)],
            rates: try await calls.billing.stores.calls.rateBook(),
            settings: CallDesk.Settings(),
            for: calls.tenant,
            at: calls.clock.now()
        )
        #expect(try await calls.start("c1", by: "nestor", to: "+12065550100").grantedSeconds == 120, "8 of 10 cents were spent by the upload")
        #expect(try await calls.start("d1", by: "dana", to: "+12065550100").capability == .domesticCallingPlan, "a limit of 0 leaves the pool")
        // To the last minute of the month, then the first of the next.
        let monthEnd = CalendarMonth(of: calls.clock.now()).start.adding(months: 1)
        calls.clock.advance(to: monthEnd.adding(seconds: -30))
        #expect(try await calls.start("c2", by: "nestor", to: "+12065550100").reason == .spendLimitReached, "still this month")
        calls.clock.advance(to: monthEnd)
        let next = try await calls.start("c3", by: "nestor", to: "+12065550100")
        #expect(next.allowed && next.grantedSeconds == 600, "a new month, a new limit")
        let limits = try await controls.spendLimits(of: calls.tenant)
        #expect(limits.map(\.spend.slot.spender) == [.user(dana), .user(nestor)] && limits.last?.spend.heldMinor == 10)
    }

    @Test("A limit set mid-month starts from what the month's records of the user were charged")
    func setMidMonth() async throws {
        let (calls, controls, nestor) = try await funded()
        _ = try await calls.billing.stores.calls.recordUsage(
            [
                try calls.upload("u1", by: "nestor", to: "+12065550100", duration: 480),
                try calls.upload("u2", by: "dana", to: "+442071234567", duration: 60),
            ],
            rates: try await calls.billing.stores.calls.rateBook(),
            settings: CallDesk.Settings(),
            for: calls.tenant,
            at: calls.clock.now()
        )
        #expect(try await calls.start("c1", by: "nestor", to: "+12065550100").grantedSeconds == 600)
        try await controls.setSpendLimit(10, of: calls.tenant, user: nestor, by: "amy")
        let limit = try await controls.spendLimit(of: calls.tenant, user: nestor)
        #expect(limit.spend.spentMinor == 8 && limit.spend.heldMinor == 10, "the upload's 8 cents, and the open call's hold")
        #expect(try await calls.start("c2", by: "nestor", to: "+12065550100").reason == .spendLimitReached)
        _ = try await calls.end("c1", number: 2, duration: 60)
        #expect(try await calls.start("c3", by: "nestor", to: "+12065550100").grantedSeconds == 60, "10 - 8 - 1 leaves one minute")
    }

    @Test("A limit out of bounds or for nobody is refused, and every change is in the trail")
    func refusalsAndTrail() async throws {
        let (calls, controls, nestor) = try await funded()
        await expectRefusal(.invalidMonthlyLimitMinor) { try await controls.setSpendLimit(-1, of: calls.tenant, user: nestor, by: "amy") }
        await expectRefusal(.invalidMonthlyLimitMinor) { try await controls.setSpendLimit(.max, of: calls.tenant, user: nestor, by: "amy") }
        await expectRefusal(.unknownUser) {
            try await controls.setSpendLimit(5, of: calls.tenant, user: UserPrincipalName("x@fabrikam.com"), by: "amy")
        }
        try await controls.setSpendLimit(50_00, of: calls.tenant, user: nestor, by: "amy@fabrikam.com")
        try await controls.setSpendLimit(nil, of: calls.tenant, user: nestor, by: "amy@fabrikam.com")
        let trail = try await controls.changes(of: calls.tenant, limit: 10).map(\.change)
        #expect(trail.map(\.subject) == ["Spend limit of nestor@fabrikam.com", "Spend limit of nestor@fabrikam.com"])
        #expect(trail[1].before == "no limit" && trail[1].after == "$50.00 a month" && trail[0].after == "no limit")
        #expect(try await controls.spendLimit(of: calls.tenant, user: nestor).limitMinor == nil)
    }
}
