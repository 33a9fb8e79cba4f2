import CreditsCore
import Testing

/// The rules that decide what administrators are told (`DOMAIN.md` section 9).
@Suite struct CreditAlertTests {
    let now = ISO8601.parse("2027-03-01T12:00:00Z")!

    func receipts(_ balances: [Int64]) -> [LedgerReceipt] {
        balances.enumerated().map { index, balance in
            LedgerReceipt(
                transactionId: TransactionId(Int64(index) + 1),
                kind: .charge,
                occurredAt: now,
                amountMinor: 0,
                consumedMinor: 0,
                debtIncurredMinor: 0,
                debtRepaidMinor: 0,
                releasedMinor: 0,
                forfeitedMinor: 0,
                lotId: nil,
                holdId: nil,
                balanceAfterMinor: balance,
                availableAfterMinor: balance
            )
        }
    }

    func events(from opening: Int64, _ balances: [Int64], autoRecharge: AutoRechargeSettings = .off) -> [CreditEvent] {
        CreditAlerts.balanceEvents(openingBalanceMinor: opening, transactions: receipts(balances), autoRecharge: autoRecharge)
    }

    @Test func reachingZeroOrGoingBelowIsToldOnceWhenItHappens() {
        #expect(events(from: 500, [200, 0, 0, -50]) == [.balanceExhausted(transactionId: TransactionId(2))])
        #expect(events(from: 500, [-30]) == [.balanceExhausted(transactionId: TransactionId(1))])
        #expect(events(from: 0, [-30, -60]) == [], "already used up: nothing new to tell")
        #expect(
            events(from: 100, [0, 2000, 0]) == [
                .balanceExhausted(transactionId: TransactionId(1)), .balanceExhausted(transactionId: TransactionId(3)),
            ],
            "refilled and used up again is a new event"
        )
        #expect(events(from: 100, [150]) == [])
    }

    @Test func fallingBelowTheTriggerIsToldOnlyWhileAutoRechargeIsOff() {
        let off = AutoRechargeSettings(unchecked: false, rechargeAmountMinor: 2000, triggerAmountMinor: 1000)
        let on = AutoRechargeSettings(unchecked: true, rechargeAmountMinor: 2000, triggerAmountMinor: 1000)
        #expect(
            events(from: 1500, [1200, 999, 500], autoRecharge: off) == [.balanceBelowTrigger(transactionId: TransactionId(2), triggerMinor: 1000)]
        )
        #expect(
            events(from: 1000, [999], autoRecharge: off) == [.balanceBelowTrigger(transactionId: TransactionId(1), triggerMinor: 1000)],
            "at the trigger is not below it; one unit less is"
        )
        #expect(events(from: 1500, [999], autoRecharge: on) == [], "auto-recharge will refill it")
        #expect(
            events(from: 1500, [0], autoRecharge: off) == [.balanceExhausted(transactionId: TransactionId(1))],
            "straight to zero says that, not both"
        )
        #expect(events(from: 1500, [500], autoRecharge: .off) == [], "no trigger set")
    }

    @Test func theConferencingPoolIsToldAtEightyAndAHundredPercent() {
        #expect(CreditAlerts.poolPercentagesReached(capacity: 3600, before: 0, after: 2879) == [])
        #expect(CreditAlerts.poolPercentagesReached(capacity: 3600, before: 0, after: 2880) == [80])
        #expect(CreditAlerts.poolPercentagesReached(capacity: 3600, before: 2880, after: 3599) == [])
        #expect(CreditAlerts.poolPercentagesReached(capacity: 3600, before: 2000, after: 4000) == [80, 100], "one long call past both")
        #expect(CreditAlerts.poolPercentagesReached(capacity: 3600, before: 3600, after: 4000) == [])
        #expect(CreditAlerts.poolPercentagesReached(capacity: 0, before: 0, after: 60) == [], "no pool, nothing to tell")
    }

    @Test func lotsAreToldThirtyAndThenSevenDaysAhead() {
        let expiry = ISO8601.parse("2027-04-01T00:00:00Z")!
        #expect(CreditAlerts.expiryNoticeDays(expiresAt: expiry, at: expiry.adding(days: -31)) == nil)
        #expect(CreditAlerts.expiryNoticeDays(expiresAt: expiry, at: expiry.adding(days: -30)) == 30)
        #expect(CreditAlerts.expiryNoticeDays(expiresAt: expiry, at: expiry.adding(days: -8)) == 30)
        #expect(CreditAlerts.expiryNoticeDays(expiresAt: expiry, at: expiry.adding(days: -7)) == 7)
        #expect(CreditAlerts.expiryNoticeDays(expiresAt: expiry, at: expiry.adding(seconds: -1)) == 7)
        #expect(CreditAlerts.expiryNoticeDays(expiresAt: expiry, at: expiry) == nil, "expired: forfeited, not announced")
    }

    @Test func deliveriesBackOffUpToAnHourAndStopAfterTenAttempts() {
        #expect(DeliveryPolicy.retryAt(after: 1, failedAt: now) == now.adding(seconds: 30))
        #expect(DeliveryPolicy.retryAt(after: 2, failedAt: now) == now.adding(seconds: 60))
        #expect(DeliveryPolicy.retryAt(after: 4, failedAt: now) == now.adding(seconds: 240))
        #expect(DeliveryPolicy.retryAt(after: 9, failedAt: now) == now.adding(seconds: 3600))
        #expect(DeliveryPolicy.retryAt(after: 10, failedAt: now) == nil)
    }

    @Test func everyAdministratorWithARoleIsARecipientOnce() throws {
        let users = [
            try User(
                upn: UserPrincipalName("megan@contoso.com"),
                displayName: "Megan",
                usageLocation: CountryCode("US")!,
                roles: [.globalAdministrator]
            ),
            try User(
                upn: UserPrincipalName("alex@contoso.com"),
                displayName: "Alex",
                usageLocation: CountryCode("US")!,
                roles: [.billingAdministrator, .teamsAdministrator]
            ),
            try User(upn: UserPrincipalName("lee@contoso.com"), displayName: "Lee", usageLocation: CountryCode("US")!),
        ]
        #expect(NotificationRecipients.emailAddresses(of: users) == ["alex@contoso.com", "megan@contoso.com"])
    }

    @Test func eachEventHasItsOwnKey() {
        let events: [CreditEvent] = [
            .rechargeSucceeded(rechargeId: 1, amountMinor: 100), .rechargeFailed(rechargeId: 1, amountMinor: 100, reason: .cardExpired),
            .rechargeStopped(rechargeId: 1, amountMinor: 100), .balanceExhausted(transactionId: TransactionId(1)),
            .balanceBelowTrigger(transactionId: TransactionId(1), triggerMinor: 5),
            .lotExpiring(lotId: LotId(1), remainingMinor: 1, expiresAt: now, daysAhead: 30),
            .lotExpiring(lotId: LotId(1), remainingMinor: 1, expiresAt: now, daysAhead: 7),
            .conferencingPoolUsed(month: CalendarMonth(of: now), percent: 80), .conferencingPoolUsed(month: CalendarMonth(of: now), percent: 100),
            .postUsageInvoiceIssued(invoiceId: 1, amountMinor: 5, month: CalendarMonth(of: now)),
        ]
        #expect(Set(events.map(\.key)).count == events.count)
    }
}
