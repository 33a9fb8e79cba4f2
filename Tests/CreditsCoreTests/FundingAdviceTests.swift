import CreditsCore
import Testing

/// Sizing credits from the usage history (`DOMAIN.md` section 10, our rules in `FundingAdvice`).
@Suite struct FundingAdviceTests {
    let now = ISO8601.parse("2027-03-01T12:00:00Z")!

    func lot(_ id: Int64, free: Int64, purchased: Instant) -> Lot {
        Lot(
            id: LotId(id),
            source: .purchase,
            amountMinor: max(free, 1),
            freeMinor: free,
            heldMinor: 0,
            forfeitedMinor: 0,
            refundedMinor: 0,
            purchasedAt: purchased,
            expiresAt: purchased.adding(months: 12)
        )
    }

    func statement(_ lots: [Lot]) -> CreditStatement {
        CreditStatement(tenantId: TenantId("t"), currency: .usd, lots: lots, openHolds: [], debtMinor: 0, asOf: now)
    }

    /// `spend` for the days ending yesterday, oldest first.
    func daily(_ spend: [Int64]) -> [CivilDate: Int64] {
        Dictionary(
            uniqueKeysWithValues: spend.enumerated().map { offset, minor in
                (now.adding(days: Int64(offset - spend.count)).civilDateAndTime.date, minor)
            }
        )
    }

    @Test func tenDaysOfSpendGiveMeanPercentileRunwayTriggerAndRecharge() throws {
        let bought = ISO8601.parse("2027-02-19T12:00:00Z")!
        let advice = try #require(
            FundingAdvice(
                statement: statement([lot(1, free: 8_000, purchased: bought)]),
                daily: daily([100, 200, 100, 100, 0, 300, 100, 100, 100, 900]),
                firstPurchase: bought,
                at: now
            )
        )
        #expect(advice.spend.days == 10, "full days since the purchase day: 19 to 28 February")
        #expect(advice.spend.firstDay == CivilDate(year: 2027, month: 2, day: 19) && advice.spend.lastDay == CivilDate(year: 2027, month: 2, day: 28))
        #expect(advice.spend.totalMinor == 2_000 && advice.spend.meanMinor == 200)
        #expect(advice.spend.p95Rank == 10 && advice.spend.p95Minor == 900)
        #expect(advice.runway.days == 40 && advice.runway.runsOutOn == CivilDate(year: 2027, month: 4, day: 10))
        #expect(advice.trigger.amountMinor == 6_300 && advice.trigger.coverDays == 7 && advice.trigger.neededMinor == 6_300)
        // 2027-03-01 to 2028-03-01 holds 29 February: 366 days at 200 a day, less the trigger spent first.
        let recharge = advice.recharge
        #expect(recharge.amountMinor == 27_000 && recharge.targetDays == 30 && recharge.targetMinor == 27_000 && recharge.lifetimeDays == 366)
        #expect(recharge.spendableBeforeExpiryMinor == 73_200 - 6_300 && recharge.limitedBy == .target)
        #expect(advice.lots.map(\.forfeitMinor) == [0] && advice.lots[0].usedUpOn == CivilDate(year: 2027, month: 4, day: 10))
        #expect(advice.forecastForfeitMinor == 0 && advice.recommendsAmounts)
    }

    @Test func slowSpendForfeitsWhatCannotBeSpentAndCapsTheRecharge() throws {
        let start = now.adding(days: -10)
        // 1.00 spent in ten days, all on the last: p95 is 1.00, the mean 0.10 a day.
        let early = lot(1, free: 1_000, purchased: now.adding(days: -265))  // expires in 100 days
        let late = lot(2, free: 50, purchased: now.adding(days: -165))  // expires in 200 days
        let advice = try #require(
            FundingAdvice(
                statement: statement([late, early]),
                daily: daily([0, 0, 0, 0, 0, 0, 0, 0, 0, 100]),
                firstPurchase: start,
                at: now
            )
        )
        #expect(advice.spend.meanMinor == 10 && advice.spend.p95Minor == 100)
        // The older lot first: 100 days at 0.10 a day spend all its 10.00.
        #expect(advice.lots.map(\.lotId) == [LotId(1), LotId(2)], "in the order of use")
        #expect(advice.lots[0].spendableMinor == 1_000 && advice.lots[0].forfeitMinor == 0)
        #expect(advice.lots[0].usedUpOn == now.adding(days: 100).civilDateAndTime.date)
        // Then 50 more in 5 days, long before the second lot expires.
        #expect(advice.lots[1].forfeitMinor == 0 && advice.lots[1].usedUpOn == now.adding(days: 105).civilDateAndTime.date)
        // Trigger 7 x 1.00 = 7.00; a month at p95 is 30.00, but a year at 0.10 a day is 36.60, less the trigger 29.60: 29.00 in whole units.
        #expect(advice.trigger.amountMinor == 700)
        #expect(advice.recharge.targetMinor == 3_000 && advice.recharge.spendableBeforeExpiryMinor == 3_660 - 700)
        #expect(advice.recharge.amountMinor == 2_900 && advice.recharge.limitedBy == .expiry)
    }

    @Test func aLotTooBigForItsTimeForfeitsTheRest() throws {
        let big = lot(1, free: 5_000, purchased: now.adding(days: -265))  // 100 days left
        let advice = try #require(
            FundingAdvice(
                statement: statement([big]),
                daily: daily(Array(repeating: 10, count: 10)),
                firstPurchase: now.adding(days: -265),
                at: now
            )
        )
        #expect(advice.spend.days == 90, "no more than 90 days of history")
        #expect(advice.spend.totalMinor == 100 && advice.spend.meanMinor == 1, "ten days of 0.10 in ninety")
        // 100 days at 1.00 per 90 days spend 1.11 (rounded down) of the 50.00.
        #expect(advice.lots[0].spendableMinor == 111 && advice.lots[0].forfeitMinor == 4_889 && advice.lots[0].usedUpOn == nil)
        #expect(advice.forecastForfeitMinor == 4_889)
    }

    @Test func withoutSpendNothingRunsOutEverythingIsForfeitedAndAmountsAreTheSmallestPurchase() throws {
        let bought = now.adding(days: -3)
        let advice = try #require(
            FundingAdvice(statement: statement([lot(1, free: 2_000, purchased: bought)]), daily: [:], firstPurchase: bought, at: now)
        )
        #expect(advice.runway.days == nil && advice.runway.runsOutOn == nil)
        #expect(advice.trigger.amountMinor == 100 && advice.trigger.neededMinor == 0)
        #expect(advice.recharge.amountMinor == 100 && advice.recharge.limitedBy == .minimumPurchase)
        #expect(advice.lots[0].forfeitMinor == 2_000)
        #expect(!advice.recommendsAmounts, "the smallest purchase is a bound, not advice: the page offers no amounts")
    }

    @Test func noFullDayNoAdviceAndCoverDaysAreBounded() throws {
        #expect(FundingAdvice(statement: statement([]), daily: [:], firstPurchase: now, at: now) == nil)
        #expect(throws: Refusal.self) { try FundingAdvice.checkCoverDays(0) }
        #expect(throws: Refusal.self) { try FundingAdvice.checkCoverDays(91) }
        try FundingAdvice.checkCoverDays(90)
    }
}
