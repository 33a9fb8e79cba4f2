import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

@Suite("The velocity alarm on the call path")
struct VelocityAlarmTests {
    /// $10 of credits; Nestor on Pay-As-You-Go with the credits license, in the US. A UK fixed
    /// minute costs 2 cents (a 10-minute grant holds 20), a US one 1 cent, a UK premium one $1.50.
    func funded() async throws -> (Calls, CallControlService) {
        let calls = try await Calls()
        try await calls.billing.buy(10_00)
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        return (calls, CallControlService(stores: calls.billing.stores, clock: calls.clock))
    }

    func alarms(_ calls: Calls) async throws -> [VelocitySuspension] {
        try await calls.billing.stores.notifications.notifications(for: calls.tenant, before: nil, limit: 100).compactMap {
            if case let .velocityAlarm(suspension) = $0.notification.event { suspension } else { nil }
        }
    }

    @Test("Past the hourly amount, international and premium credit-paid calls are refused until resumed; the rest go on")
    func suspendsAndResumes() async throws {
        let (calls, controls) = try await funded()
        // Judged once before the alarm, so that the tenant's kept state must see the change.
        #expect(try await calls.start("warm", by: "nestor", to: "+12065550100").allowed)
        _ = try await calls.end("warm", number: 2, duration: 0)
        try await controls.setVelocityAlarm(hourlyAmountMinor: 50, usualMultiple: nil, of: calls.tenant, by: "amy@fabrikam.com")
        #expect(try await calls.start("c1", by: "nestor", to: "+442071234567").grantedSeconds == 600)
        #expect(try await calls.start("c2", by: "nestor", to: "+442071234567").grantedSeconds == 600)
        #expect(try await controls.velocityStatus(of: calls.tenant).spentMinor == 40, "the holds count at once")
        let third = try await calls.start("c3", by: "nestor", to: "+442071234567")
        #expect(!third.allowed && third.reason == .velocitySuspended, "60 cents would pass 50: the call that would pass is refused")
        #expect(third.refusalDetail?.contains("velocity alarm") == true)
        #expect(try await calls.start("d1", by: "nestor", to: "+12065550100").allowed, "a domestic credit-paid call goes on")
        #expect(try await calls.start("p1", by: "nestor", to: "+449012345678").reason == .velocitySuspended, "premium is suspended")
        #expect(try await calls.start("e1", .emergencyOut, by: "nestor", to: "+12065550100").allowed)
        calls.clock.advance(seconds: 300)
        let more = try await calls.update("c1", number: 2, used: 300)
        #expect(!more.allowed && more.reason == .velocitySuspended, "a suspended call gets no more time")
        #expect(try await alarms(calls) == [VelocitySuspension(since: Billing.start, spentMinor: 60, thresholdMinor: 50)], "told once")
        let trail = try await controls.changes(of: calls.tenant, limit: 10).map(\.change)
        #expect(trail.first?.actor == "velocity alarm" && trail.first?.after.hasPrefix("suspended") == true)

        // The sliding hour moves on; the suspension stands until an administrator resumes.
        for session in ["c1", "c2", "d1"] { _ = try await calls.end(session, number: 3, duration: 60, elapsed: 0) }
        calls.clock.advance(seconds: 2 * 3600)
        #expect(try await calls.start("c4", by: "nestor", to: "+442071234567").reason == .velocitySuspended)
        try await controls.resumeSuspendedCalls(of: calls.tenant, by: "amy@fabrikam.com")
        #expect(try await controls.velocityStatus(of: calls.tenant).alarm.suspension == nil)
        #expect(try await calls.start("c5", by: "nestor", to: "+442071234567").allowed, "resumed")
        #expect(try await controls.changes(of: calls.tenant, limit: 1).first?.change.after == "resumed")
        // Resuming what is not suspended changes nothing.
        let before = try await controls.changes(of: calls.tenant, limit: 100).count
        try await controls.resumeSuspendedCalls(of: calls.tenant, by: "amy@fabrikam.com")
        #expect(try await controls.changes(of: calls.tenant, limit: 100).count == before)
    }

    @Test("A charge counts while its minute is one of the last 60, and then no more", arguments: [(59, true), (60, false)])
    func windowSlides(minutesLater: Int64, trips: Bool) async throws {
        let (calls, controls) = try await funded()
        try await controls.setVelocityAlarm(hourlyAmountMinor: 50, usualMultiple: nil, of: calls.tenant, by: "amy")
        _ = try await calls.start("c1", by: "nestor", to: "+442071234567")
        #expect(try await calls.end("c1", number: 2, duration: 600).chargeMinor == 20, "charged in the tenth minute")
        _ = try await calls.start("c2", by: "nestor", to: "+442071234567")
        _ = try await calls.end("c2", number: 2, duration: 600)
        calls.clock.advance(to: Billing.start.adding(seconds: (10 + minutesLater) * 60 + 30))
        #expect(try await controls.velocityStatus(of: calls.tenant).chargedMinor == (trips ? 40 : 20))
        // 40 cents charged and 20 more held pass 50; 20 and 20 do not.
        let last = try await calls.start("c3", by: "nestor", to: "+442071234567")
        #expect(last.allowed == !trips && (trips ? last.reason == .velocitySuspended : last.grantedSeconds == 600))
    }

    @Test("Uploads count and may trip the alarm, and are never refused")
    func uploads() async throws {
        let (calls, controls) = try await funded()
        try await controls.setVelocityAlarm(hourlyAmountMinor: 50, usualMultiple: nil, of: calls.tenant, by: "amy")
        _ = try await calls.billing.stores.calls.recordUsage(
            [try calls.upload("u1", by: "nestor", to: "+442071234567", duration: 1_800)],
            rates: try await calls.billing.stores.calls.rateBook(),
            settings: CallDesk.Settings(),
            for: calls.tenant,
            at: calls.clock.now()
        )
        #expect(try await calls.records().first?.chargeMinor == 60)
        #expect(try await alarms(calls).map(\.spentMinor) == [60])
        #expect(try await calls.start("c1", by: "nestor", to: "+442071234567").reason == .velocitySuspended)
    }

    @Test("Several times the usual hourly spend trips it; with no usual spend only the amount judges")
    func usualSpend() async throws {
        let (calls, controls) = try await funded()
        // Ten days of history: 12 of its 240 hours spent 10 cents each (an hour of US calls).
        calls.clock.advance(seconds: 10 * 86_400)
        let uploads = try (0..<12).map { hour in
            try calls.upload("h\(hour)", by: "nestor", to: "+12065550100", duration: 600, at: Billing.start.adding(seconds: Int64(hour) * 3 * 3600))
        }
        _ = try await calls.billing.stores.calls.recordUsage(
            uploads,
            rates: try await calls.billing.stores.calls.rateBook(),
            settings: CallDesk.Settings(),
            for: calls.tenant,
            at: calls.clock.now()
        )
        try await controls.setVelocityAlarm(hourlyAmountMinor: nil, usualMultiple: 3, of: calls.tenant, by: "amy")
        var alarm = try await controls.velocityStatus(of: calls.tenant).alarm
        // 12 hours of 240 are under the 95th percentile's rank (228): the usual hour spends nothing.
        #expect(alarm.usual?.hours == 240 && alarm.usual?.p95Minor == 0 && alarm.thresholdMinor == nil)
        #expect(try await calls.start("c0", by: "nestor", to: "+442071234567").allowed)
        _ = try await calls.end("c0", number: 2, duration: 0)

        // 20 spending hours: the 228th smallest of 240 hours is 10 cents; 3 times is 30.
        let more = try (12..<20).map { hour in
            try calls.upload("h\(hour)", by: "nestor", to: "+12065550100", duration: 600, at: Billing.start.adding(seconds: Int64(hour) * 3 * 3600))
        }
        _ = try await calls.billing.stores.calls.recordUsage(
            more,
            rates: try await calls.billing.stores.calls.rateBook(),
            settings: CallDesk.Settings(),
            for: calls.tenant,
            at: calls.clock.now()
        )
        try await controls.setVelocityAlarm(hourlyAmountMinor: 1_00, usualMultiple: 3, of: calls.tenant, by: "amy")
        // The uploads were charged now: they count in this hour, not in the next.
        #expect(try await controls.velocityStatus(of: calls.tenant).chargedMinor == 80)
        calls.clock.advance(seconds: 3_600)
        alarm = try await controls.velocityStatus(of: calls.tenant).alarm
        #expect(alarm.usual?.p95Minor == 10 && alarm.thresholdMinor == 30, "the lower of $1 and 3 × 10 cents")
        #expect(try await calls.start("c1", by: "nestor", to: "+442071234567").allowed, "20 of 30")
        #expect(try await calls.start("c2", by: "nestor", to: "+442071234567").reason == .velocitySuspended, "40 of 30")
    }

    @Test("The usual spend is worked out again once on a later day, and kept across a restart")
    func refreshedDaily() async throws {
        let (calls, controls) = try await funded()
        try await controls.setVelocityAlarm(hourlyAmountMinor: 50, usualMultiple: 5, of: calls.tenant, by: "amy")
        #expect(try await controls.velocityStatus(of: calls.tenant).alarm.usual?.hours == 0, "no full day of history yet")
        calls.clock.advance(seconds: 86_400)
        #expect(try await controls.refreshUsualSpend() == 1)
        #expect(try await controls.refreshUsualSpend() == 0, "once a day")
        let restarted = try await calls.billing.restarted()
        let alarm = try await CallControlService(stores: restarted.stores, clock: restarted.clock).velocityStatus(of: calls.tenant).alarm
        #expect(alarm.usual?.hours == 24 && alarm.usual?.computedOn == calls.clock.now().civilDateAndTime.date && alarm.hourlyAmountMinor == 50)
    }

    @Test("Settings out of range are refused and change nothing")
    func refusals() async throws {
        let (calls, controls) = try await funded()
        await expectRefusal(.invalidHourlyAmountMinor) {
            try await controls.setVelocityAlarm(hourlyAmountMinor: 0, usualMultiple: nil, of: calls.tenant, by: "amy")
        }
        await expectRefusal(.invalidUsualMultiple) {
            try await controls.setVelocityAlarm(hourlyAmountMinor: nil, usualMultiple: 1, of: calls.tenant, by: "amy")
        }
        #expect(try await controls.velocityStatus(of: calls.tenant).alarm == .off)
        #expect(try await controls.changes(of: calls.tenant, limit: 10).isEmpty)
    }
}
