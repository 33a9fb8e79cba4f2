import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

@Suite("Real-time call charging")
struct CallChargingTests {
    /// $10 of credits and Nestor, a Pay-As-You-Go user with the credits license.
    func funded(_ amountMinor: Int64 = 10_00) async throws -> Calls {
        let calls = try await Calls()
        try await calls.billing.buy(amountMinor)
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        return calls
    }

    @Test("Start holds the granted time's charge, update grants more, end charges the rounded duration and releases the rest")
    func startUpdateEnd() async throws {
        let calls = try await funded()
        let started = try await calls.start("s1", by: "nestor", to: "+12065550100")
        #expect(
            started
                == CallAnswer(
                    allowed: true,
                    capability: .communicationsCredits,
                    rateMicrosPerMinute: 10_000,
                    grantedSeconds: 600,
                    connectionFeeMinor: 0,
                    firstIncrementSeconds: 60,
                    nextIncrementSeconds: 60,
                    validUntil: calls.clock.now().adding(seconds: 1_200)
                )
        )
        #expect(try await calls.billing.balance().heldMinor == 10, "600 s at 1 cent a minute")
        let updated = try await calls.update("s1", number: 2, used: 300)
        #expect(updated.allowed && updated.grantedSeconds == 600 && !started.finalGrant && !updated.finalGrant)
        #expect(try await calls.billing.balance().heldMinor == 15, "900 s granted in all")
        let ended = try await calls.end("s1", number: 3, duration: 125)
        #expect(ended.chargeMinor == 3 && ended.connectionFeeMinor == 0 && ended.capability == .communicationsCredits && ended.usageId == "s1")
        let figures = try await calls.billing.balance()
        #expect(figures.balanceMinor == 997 && figures.heldMinor == 0)
        let record = try #require(try await calls.records().first)
        #expect(record.durationSeconds == 125 && record.billedSeconds == 180 && record.chargeMinor == 3 && record.source == .realTime)
        #expect(record.upn?.rawValue == "nestor@fabrikam.com" && record.isDomestic && record.externalCountry?.rawValue == "US")
        try await calls.expectConserved()
    }

    @Test("A repeat gets the first answer; another body under the same number, an old number, or a closed session is refused")
    func idempotentRequests() async throws {
        let calls = try await funded()
        let first = try await calls.start("s1", by: "nestor", to: "+12065550100")
        #expect(try await calls.start("s1", by: "nestor", to: "+12065550100") == first)
        await expectRefusal(.requestConflict) { try await calls.start("s1", by: "nestor", to: "+12065550199") }
        await expectRefusal(.sessionExists) { try await calls.start("s1", by: "nestor", to: "+12065550100", number: 2) }
        let end = try await calls.end("s1", number: 5, duration: 60)
        #expect(try await calls.end("s1", number: 5, duration: 60, elapsed: 0) == end)
        #expect(try await calls.billing.balance().balanceMinor == 999, "charged once")
        await expectRefusal(.requestOutOfOrder) { try await calls.update("s1", number: 4, used: 10) }
        await expectRefusal(.sessionClosed) { try await calls.update("s1", number: 6, used: 10) }
        await expectRefusal(.unknownSession) { try await calls.end("nobody", number: 2, duration: 10) }
        await expectRefusal(.invalidDurationSeconds) { try await calls.end("s1", number: 7, duration: -1) }
        #expect(try await calls.records().count == 1)
    }

    @Test("Refusals: no credits license, balance used up, unknown number, pool spent, no calling plan, unknown user")
    func refusals() async throws {
        let calls = try await funded(1_00)
        try await calls.user("pat", [.phoneSystem, .payAsYouGoCallingPlan])
        try await calls.user("dana", in: "GB", [.phoneSystem, .domesticCallingPlan120])
        try await calls.user("erin", [.enterpriseE5, .communicationsCredits])
        #expect(try await calls.start("a", by: "pat", to: "+12065550100").reason == .creditsLicenseMissing)
        #expect(try await calls.start("b", by: "nestor", to: "+33612345678").reason == .unknownDestination)
        #expect(try await calls.start("c", by: "erin", to: "+12065550100").reason == .noCallingPlan)
        #expect(try await calls.start("d", by: "nobody", to: "+12065550100").reason == .unknownUser)
        // Dana's 120 minutes go in one long call; the next domestic call has nothing to pay for it.
        #expect(try await calls.start("e", by: "dana", to: "+442071234567", from: "+442030000001").capability == .domesticCallingPlan120)
        _ = try await calls.endLongCall("e", duration: 7200)
        #expect(try await calls.start("f", by: "dana", to: "+442071234567", from: "+442030000001").reason == .poolExhausted)
        // A $1 balance covers a 20-minute hold on a 5-cents-a-minute mobile; the next call finds nothing available.
        let big = try await calls.start("g", by: "nestor", to: "+447700900123")
        #expect(big.allowed && big.grantedSeconds == 600)
        _ = try await calls.start("h", by: "nestor", to: "+447700900124")
        let broke = try await calls.start("i", by: "nestor", to: "+12065550100")
        #expect(!broke.allowed && broke.reason == .insufficientBalance && broke.grantedSeconds == 0)
        #expect(try await calls.billing.balance().balanceMinor == 1_00, "holds only; nothing charged")
    }

    @Test(
        "The grant is what the available balance covers, in whole increments; a call that runs over is charged up to its grant and the tolerance, into debt"
    )
    func grantLimitedByBalance() async throws {
        let calls = try await funded(1_00)
        _ = try await calls.billing.service.charge(95, coverage: .availableOnly, to: calls.tenant, key: calls.billing.key("spend"))
        let answer = try await calls.start("s", by: "nestor", to: "+12065550100")
        #expect(answer.grantedSeconds == 300 && answer.finalGrant, "5 cents at 1 cent a minute: the balance cut the grant short")
        #expect(
            try await calls.update("s", number: 2, used: 300)
                == CallAnswer(
                    allowed: false,
                    reason: .insufficientBalance,
                    capability: .communicationsCredits,
                    grantedSeconds: 0
                )
        )
        let ended = try await calls.end("s", number: 3, duration: 600)
        #expect(ended.durationSeconds == 300 + CallLimits.grantToleranceSeconds && ended.chargeMinor == 6, "305 s: six started minutes")
        let figures = try await calls.billing.balance()
        #expect(figures.balanceMinor == -1 && figures.debtMinor == 1)
        try await calls.expectConserved(otherChargesMinor: 95)
    }

    @Test("A session whose platform goes silent expires at twice its grant and is charged for the time granted")
    func silentSessionExpires() async throws {
        let calls = try await funded()
        _ = try await calls.start("quiet", by: "nestor", to: "+447700900123")
        calls.clock.advance(seconds: 1199)
        #expect(try await calls.service.expireSilentCalls() == 0)
        calls.clock.advance(seconds: 1)
        #expect(try await calls.service.expireSilentCalls() == 1)
        let record = try #require(try await calls.records().first)
        #expect(record.source == .timeout && record.durationSeconds == 600 && record.chargeMinor == 50)
        #expect(try await calls.billing.balance() == CreditFigures(freeMinor: 950, heldMinor: 0, debtMinor: 0))
        #expect(try await calls.billing.stores.calls.session(CallSessionId("quiet"), for: calls.tenant)?.state == .expired)
        calls.clock.advance(seconds: CallLimits.lateEndWindowSeconds)
        await expectRefusal(.lateEndWindowClosed) { try await calls.end("quiet", number: 2, duration: 30) }
        try await calls.expectConserved()
    }

    @Test("An end that comes after the ledger's backstop timed the hold out is charged what the time-out took, and says so in its record")
    func endAfterTheBackstop() async throws {
        let calls = try await funded()
        _ = try await calls.start("late", by: "nestor", to: "+447700900123")
        calls.clock.advance(seconds: 90_000)
        let ended = try await calls.end("late", number: 2, duration: 30)
        #expect(ended.chargeMinor == 50, "the hold of 600 s at 5 cents a minute, posted in full by the time-out")
        #expect(try await calls.records().first?.chargeMinor == 50)
        #expect(try await calls.billing.balance() == CreditFigures(freeMinor: 950, heldMinor: 0, debtMinor: 0))
        try await calls.expectConserved()
    }

    @Test("A call in progress while late records take the balance into debt gets the time its hold still covers, and its hold keeps moving with it")
    func updateInDebt() async throws {
        let calls = try await funded(1_00)
        _ = try await calls.start("live", by: "nestor", to: "+447700900123")
        #expect(try await calls.billing.balance() == CreditFigures(freeMinor: 50, heldMinor: 50, debtMinor: 0), "600 s at 5 cents a minute held")
        let late = [
            try calls.upload("late-1", by: "nestor", to: "+447700900123", duration: 600),
            try calls.upload("late-2", by: "nestor", to: "+12065550100", duration: 60),
        ]
        #expect(try await calls.service.record(late, for: calls.tenant).count == 2)
        #expect(try await calls.billing.balance().availableMinor == -1, "51 cents of records against 50 free: a cent of debt")
        // The hold covers 9 minutes with nothing more reserved: only its deadline moves, which needs no funds.
        let updated = try await calls.update("live", number: 2, used: 60)
        #expect(updated.allowed && updated.grantedSeconds == 480 && updated.finalGrant)
        let ended = try await calls.end("live", number: 3, duration: 100)
        #expect(ended.chargeMinor == 10, "two started minutes at 5 cents")
        #expect(try await calls.billing.balance() == CreditFigures(freeMinor: 39, heldMinor: 0, debtMinor: 0), "the released hold repaid the cent")
        try await calls.expectConserved()
    }

    @Test("Pools pay whole calls while they have time left, in billed seconds, and reset on the first of the month")
    func poolsResetMonthly() async throws {
        let calls = try await funded()
        try await calls.user("dana", in: "GB", [.phoneSystem, .domesticCallingPlan120, .communicationsCredits])
        _ = try await calls.start("a", by: "dana", to: "+442071234567", from: "+442030000001")
        _ = try await calls.endLongCall("a", duration: 7_000)
        #expect(try await calls.pool("MCOPSTN5/GB")?.used == 7_020)
        #expect(
            try await calls.start("b", by: "dana", to: "+442071234567", from: "+442030000001").capability == .domesticCallingPlan120,
            "180 s left pay for the whole call"
        )
        _ = try await calls.end("b", number: 2, duration: 600)
        #expect(try await calls.pool("MCOPSTN5/GB")?.used == 7_620)
        #expect(try await calls.start("c", by: "dana", to: "+442071234567", from: "+442030000001").capability == .communicationsCredits)
        calls.clock.advance(to: ISO8601.parse("2027-04-01T00:00:00Z")!)
        #expect(try await calls.start("d", by: "dana", to: "+442071234567", from: "+442030000001").capability == .domesticCallingPlan120)
        #expect(try await calls.pool("MCOPSTN5/GB")?.capacity == 7_200)
    }

    @Test("An international minute on MCOPSTN2 uses 5 units; conference dial-out to Zone A uses the conferencing pool")
    func unitsAndConferencing() async throws {
        let calls = try await funded()
        try await calls.user("adele", in: "GB", [.phoneSystem, .domesticAndInternationalCallingPlan])
        try await calls.user("megan", [.enterpriseE5, .communicationsCredits])
        #expect(
            try await calls.start("intl", by: "adele", to: "+12065550100", from: "+442030000003").capability == .domesticAndInternationalCallingPlan
        )
        _ = try await calls.end("intl", number: 2, duration: 61)
        #expect(try await calls.pool("MCOPSTN2/GB")?.used == 600)
        #expect(try await calls.start("conf", .conferenceOut, by: "megan", to: "+447700900123").capability == .conferencingPool)
        _ = try await calls.end("conf", number: 2, duration: 90)
        #expect(try await calls.pool("MCOMEETADD")?.used == 120)
        #expect(try await calls.pool("MCOMEETADD")?.capacity == 3_600)
        #expect(try await calls.billing.balance().balanceMinor == 10_00, "pools cost the credits nothing")
    }

    @Test("Auto-recharge is judged after each charge")
    func rechargeAfterCall() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(2_00, autoRecharge: calls.billing.autoRecharge(10_00, below: 1_50))
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        _ = try await calls.start("s", by: "nestor", to: "+447700900123")
        #expect(calls.billing.wakeUps.value == 0, "a hold is not a charge")
        _ = try await calls.end("s", number: 2, duration: 601)
        #expect(try await calls.billing.balance().balanceMinor == 1_45)
        #expect(calls.billing.wakeUps.value == 1)
        #expect(try await calls.billing.stores.billing.pendingRecharges().count == 1)
    }

    @Test("The charge that takes the balance below the trigger records the recharge in its own transaction, before anyone acts on the answer")
    func rechargeStartsWithTheCharge() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(2_00, autoRecharge: calls.billing.autoRecharge(10_00, below: 1_50))
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        _ = try await calls.start("s", by: "nestor", to: "+447700900123")
        // Straight to the store, as if the service died as soon as the store answered.
        calls.clock.advance(seconds: 601)
        let outcome = try await calls.billing.stores.calls.continueCall(
            CallSessionId("s"),
            requestNumber: 2,
            step: .end(durationSeconds: 601, endTime: calls.clock.now()),
            settings: calls.service.settings,
            for: calls.tenant,
            at: calls.clock.now()
        )
        #expect(outcome.recharge?.decision == .start(amountMinor: 10_00))
        #expect(try await calls.billing.stores.billing.pendingRecharges().map(\.amountMinor) == [10_00])
        #expect(calls.billing.wakeUps.value == 0, "nothing ran it yet: the next round of pending recharges will")
        let repeated = try await calls.billing.stores.calls.continueCall(
            CallSessionId("s"),
            requestNumber: 2,
            step: .end(durationSeconds: 601, endTime: calls.clock.now()),
            settings: calls.service.settings,
            for: calls.tenant,
            at: calls.clock.now()
        )
        #expect(repeated.recharge == nil && repeated.balanceMinor == nil, "a repeat charges nothing and judges nothing")
        #expect(try await calls.billing.stores.billing.pendingRecharges().count == 1)
    }

    @Test("Thousands of concurrent calls on one tenant: no pool second or cent spent twice; the balance is the sum of the records")
    func concurrentCalls() async throws {
        let calls = try await funded(20_00)
        for index in 0..<4 { try await calls.user("plan\(index)", in: "GB", [.phoneSystem, .domesticCallingPlan120, .communicationsCredits]) }
        // Two waves of 1,000: the first spends the plan pool (4 x 120 minutes) past its end, so
        // the second's plan calls fall to credits.
        var answers: [CallAnswer] = []
        for wave in 0..<2 {
            answers += try await withThrowingTaskGroup(of: CallAnswer.self) { group in
                for index in wave * 1_000..<(wave + 1) * 1_000 {
                    group.addTask {
                        let onPlan = index % 2 == 0
                        // Started three minutes ago, so that no end needs the clock to move.
                        let start = try await calls.start(
                            "c\(index)",
                            by: onPlan ? "plan\(index % 4)" : "nestor",
                            to: onPlan ? "+442071234567" : "+12065550100",
                            from: onPlan ? "+442030000009" : "+12065550111",
                            at: calls.clock.now().adding(seconds: -180)
                        )
                        guard start.allowed else { return start }
                        return try await calls.end("c\(index)", number: 2, duration: Int64(1 + index % 180), elapsed: 0)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let records = try await calls.records()
        #expect(records.count == answers.filter { $0.usageId != nil }.count)
        let poolRecords = records.filter { $0.pool != nil }
        #expect(try await calls.pool("MCOPSTN5/GB")?.used == poolRecords.reduce(0) { $0 + $1.poolUnits })
        #expect(poolRecords.reduce(0) { $0 + $1.billedSeconds } == poolRecords.reduce(0) { $0 + $1.poolUnits })
        #expect(
            records.contains { $0.capability == .communicationsCredits && $0.upn?.rawValue.hasPrefix("plan") == true },
            "the pool ran out and credits took over"
        )
        try await calls.expectConserved()
        #expect(try await calls.billing.balance().heldMinor == 0)
    }
}
