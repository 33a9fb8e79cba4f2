import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

/// The platform's clock and counts are checked, not trusted; *answer* starts the grant's clock;
/// *cancel* ends a call that never connected (`DOMAIN.md` section 7).
@Suite("What the platform reports, checked")
struct CallReportChecksTests {
    func funded() async throws -> Calls {
        let calls = try await Calls()
        try await calls.billing.buy(10_00)
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        return calls
    }

    func end(_ calls: Calls, _ session: String, number: Int64, duration: Int64, at endTime: Instant) async throws -> CallAnswer {
        try await calls.service.end(CallSessionId(session), requestNumber: number, durationSeconds: duration, endTime: endTime, for: calls.tenant)
    }

    @Test("A start dated more than 300 s from the service's clock is refused and leaves nothing; 300 s either way is accepted")
    func startClock() async throws {
        let calls = try await funded()
        let now = calls.clock.now()
        for skew: Int64 in [301, -301, 7_200] {
            await expectRefusal(.startTimeOutOfRange) { try await calls.start("s", by: "nestor", to: "+12065550100", at: now.adding(seconds: skew)) }
        }
        #expect(try await calls.billing.stores.calls.session(CallSessionId("s"), for: calls.tenant) == nil)
        #expect(try await calls.billing.balance().heldMinor == 0)
        #expect(try await calls.start("s", by: "nestor", to: "+12065550100", at: now.adding(seconds: 300)).allowed, "the same id, dated right")
        #expect(try await calls.start("t", by: "nestor", to: "+12065550100", at: now.adding(seconds: -300)).allowed)
    }

    @Test("An update may report at most the grant plus 5 s; beyond it is refused and changes nothing")
    func updateWithinTheGrant() async throws {
        let calls = try await funded()
        _ = try await calls.start("s", by: "nestor", to: "+12065550100")
        calls.clock.advance(seconds: 700)
        await expectRefusal(.usedBeyondGrant) { try await calls.update("s", number: 2, used: 600 + CallLimits.grantToleranceSeconds + 1) }
        await expectRefusal(.usedBeyondGrant) { try await calls.update("s", number: 2, used: 5_000) }
        let held = try await calls.billing.balance().heldMinor
        let more = try await calls.update("s", number: 2, used: 600 + CallLimits.grantToleranceSeconds)
        #expect(more.allowed && more.grantedSeconds == 600, "the same request number, now within the tolerance")
        #expect(try await calls.billing.balance().heldMinor > held)
    }

    @Test("An end before its start, or dated ahead of the clock, is refused and leaves the session open to a right end")
    func endClock() async throws {
        let calls = try await funded()
        let start = calls.clock.now()
        _ = try await calls.start("s", by: "nestor", to: "+12065550100")
        calls.clock.advance(seconds: 100)
        await expectRefusal(.endBeforeStart) { try await end(calls, "s", number: 2, duration: 100, at: start.adding(seconds: -3_600)) }
        await expectRefusal(.endTimeOutOfRange) { try await end(calls, "s", number: 2, duration: 100, at: calls.clock.now().adding(seconds: 301)) }
        #expect(try await calls.records().isEmpty)
        let ended = try await end(calls, "s", number: 2, duration: 100, at: calls.clock.now())
        #expect(ended.durationSeconds == 100 && ended.chargeMinor == 2)
    }

    @Test("An end claiming more than the grant, or more than its own times allow, is charged the bound plus 5 s, and says so")
    func endClamped() async throws {
        let calls = try await funded()
        _ = try await calls.start("long", by: "nestor", to: "+12065550100")
        calls.clock.advance(seconds: 5_000)
        let long = try await end(calls, "long", number: 2, duration: 5_000, at: calls.clock.now())
        #expect(long.durationSeconds == 605 && long.chargeMinor == 11, "600 s granted, plus the tolerance: 11 started minutes")
        let startedAt = calls.clock.now()
        _ = try await calls.start("short", by: "nestor", to: "+12065550100")
        calls.clock.advance(seconds: 10)
        let short = try await end(calls, "short", number: 2, duration: 100, at: startedAt.adding(seconds: 10))
        #expect(short.durationSeconds == 15, "ten seconds between start and end, plus the tolerance")
        let records = try await calls.records()
        #expect(records.map(\.durationSeconds).sorted() == [15, 605])
        try await calls.expectConserved()
    }

    @Test("Ringing does not eat the grant: after answer, the deadline counts from the answer")
    func answerMovesTheDeadline() async throws {
        let calls = try await funded()
        let started = try await calls.start("s", by: "nestor", to: "+12065550100")
        #expect(started.validUntil == calls.clock.now().adding(seconds: 1_200))
        calls.clock.advance(seconds: 1_000)
        let answered = try await calls.service.step(CallSessionId("s"), requestNumber: 2, .answer, for: calls.tenant)
        #expect(answered.allowed && answered.grantedSeconds == 600 && answered.validUntil == calls.clock.now().adding(seconds: 1_200))
        #expect(try await calls.service.step(CallSessionId("s"), requestNumber: 2, .answer, for: calls.tenant) == answered, "a repeat")
        await expectRefusal(.sessionAnswered) { try await calls.service.step(CallSessionId("s"), requestNumber: 3, .answer, for: calls.tenant) }
        calls.clock.advance(seconds: 1_199)
        #expect(try await calls.service.expireSilentCalls() == 0, "twenty minutes after the start, but not after the answer")
        calls.clock.advance(seconds: 1)
        #expect(try await calls.service.expireSilentCalls() == 1)
        #expect(try await calls.records().first?.source == .timeout)
    }

    @Test("A call that never connected is cancelled: its hold released, no record; answered, it must end")
    func cancel() async throws {
        let calls = try await funded()
        _ = try await calls.start("rang", by: "nestor", to: "+447700900123")
        #expect(try await calls.billing.balance().heldMinor == 50)
        let cancelled = try await calls.service.step(CallSessionId("rang"), requestNumber: 2, .cancel, for: calls.tenant)
        #expect(cancelled.allowed && cancelled.grantedSeconds == 0 && cancelled.chargeMinor == 0)
        #expect(try await calls.service.step(CallSessionId("rang"), requestNumber: 2, .cancel, for: calls.tenant) == cancelled, "a repeat")
        #expect(try await calls.billing.balance() == CreditFigures(freeMinor: 10_00, heldMinor: 0, debtMinor: 0))
        #expect(try await calls.billing.stores.calls.session(CallSessionId("rang"), for: calls.tenant)?.state == .cancelled)
        await expectRefusal(.sessionClosed) { try await calls.end("rang", number: 3, duration: 10) }
        calls.clock.advance(seconds: 3_600)
        #expect(try await calls.service.expireSilentCalls() == 0)
        #expect(try await calls.records().isEmpty)

        _ = try await calls.start("talked", by: "nestor", to: "+12065550100")
        _ = try await calls.service.step(CallSessionId("talked"), requestNumber: 2, .answer, for: calls.tenant)
        await expectRefusal(.sessionAnswered) { try await calls.service.step(CallSessionId("talked"), requestNumber: 3, .cancel, for: calls.tenant) }
        _ = try await calls.start("used", by: "nestor", to: "+12065550100")
        _ = try await calls.update("used", number: 2, used: 30)
        await expectRefusal(.sessionAnswered) { try await calls.service.step(CallSessionId("used"), requestNumber: 3, .cancel, for: calls.tenant) }
        try await calls.expectConserved()
    }

    @Test("The start answers the rate's increments and connection fee; the platform's call id is kept apart and shown in the record")
    func startFactsAndCallId() async throws {
        let calls = try await funded()
        let start = CallStart(
            sessionId: try CallSessionId("s"),
            requestNumber: 1,
            callType: .userOut,
            upn: try UserPrincipalName("nestor@fabrikam.com"),
            caller: try PhoneNumber("+12065550111"),
            callee: try PhoneNumber("+449012345678"),
            startTime: calls.clock.now(),
            callId: "a84b4c76e66710@pc33.atlanta.example.com"
        )
        let answer = try await calls.service.start(start, for: calls.tenant)
        #expect(answer.connectionFeeMinor == 10 && answer.firstIncrementSeconds == 60 && answer.nextIncrementSeconds == 60)
        _ = try await calls.end("s", number: 2, duration: 30)
        let record = try #require(try await calls.records().first)
        #expect(record.usageId == "s" && record.callId == "a84b4c76e66710@pc33.atlanta.example.com")
        #expect(record.connectionFeeMinor == 10)
    }
}
