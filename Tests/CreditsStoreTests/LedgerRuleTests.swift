import CreditsCore
import CreditsStore
import Testing

/// One test per rule of `DOMAIN.md` section 5, on every store.
@Suite struct LedgerRuleTests {
    let t0 = Ledger.start

    @Test(arguments: StoreKind.allCases)
    func purchaseAddsALotThatExpiresTwelveMonthsLater(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        let receipt = try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 10_000))
        #expect(receipt.kind == .purchase)
        let lot = try await ledger.lot(receipt.lotId)
        #expect(lot.amountMinor == 10_000 && lot.freeMinor == 10_000)
        #expect(lot.purchasedAt == t0)
        #expect(lot.expiresAt == .at("2028-01-10T09:00:00Z"))
        #expect(try await ledger.figures() == CreditFigures(freeMinor: 10_000, heldMinor: 0, debtMinor: 0))
        #expect(receipt.balanceAfterMinor == 10_000 && receipt.availableAfterMinor == 10_000)
    }

    @Test(arguments: StoreKind.allCases)
    func spendsTheOldestLotFirstAcrossLots(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        let first = try await ledger.ok("a", .addFunds(source: .purchase, amountMinor: 1_000))
        let second = try await ledger.ok("b", .addFunds(source: .recharge, amountMinor: 500), at: t0.adding(days: 1))
        let charge = try await ledger.ok("c", .charge(amountMinor: 1_200, coverage: .availableOnly), at: t0.adding(days: 2))
        #expect(charge.consumedMinor == 1_200 && charge.debtIncurredMinor == 0)
        #expect(try await ledger.lot(first.lotId).freeMinor == 0)
        #expect(try await ledger.lot(second.lotId).freeMinor == 300)
        let entries = try await ledger.store.transactions(for: ledger.tenant, before: nil, limit: 1)[0].entries
        #expect(entries.filter { $0.account == .lotFree }.map(\.lotId) == [first.lotId, second.lotId])
    }

    @Test(arguments: StoreKind.allCases)
    func earliestExpiryComesBeforeEarliestPurchase(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        // Bought a day apart, yet the leap-day lot expires first: 2029-02-28 09:00 < 10:00.
        let older = try await ledger.ok("a", .addFunds(source: .purchase, amountMinor: 100), at: .at("2028-02-28T10:00:00Z"))
        let leapDay = try await ledger.ok("b", .addFunds(source: .purchase, amountMinor: 100), at: .at("2028-02-29T09:00:00Z"))
        #expect(try await ledger.lot(leapDay.lotId, at: .at("2028-03-01T00:00:00Z")).expiresAt == .at("2029-02-28T09:00:00Z"))
        try await ledger.ok("c", .charge(amountMinor: 60, coverage: .availableOnly), at: .at("2028-03-01T00:00:00Z"))
        #expect(try await ledger.lot(leapDay.lotId, at: .at("2028-03-01T00:00:00Z")).freeMinor == 40)
        #expect(try await ledger.lot(older.lotId, at: .at("2028-03-01T00:00:00Z")).freeMinor == 100)
    }

    @Test(arguments: StoreKind.allCases)
    func sameExpiryAndPurchaseFallsBackToLotId(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        let first = try await ledger.ok("a", .addFunds(source: .purchase, amountMinor: 100))
        let second = try await ledger.ok("b", .addFunds(source: .purchase, amountMinor: 100))
        try await ledger.ok("c", .charge(amountMinor: 150, coverage: .availableOnly))
        #expect(try await ledger.lot(first.lotId).freeMinor == 0)
        #expect(try await ledger.lot(second.lotId).freeMinor == 50)
    }

    @Test(arguments: StoreKind.allCases)
    func aChargeBeyondTheAvailableBalanceIsRefused(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        #expect(try await ledger.refused("c", .charge(amountMinor: 1_001, coverage: .availableOnly)) == .insufficientBalance(availableMinor: 1_000))
        try await ledger.ok("c2", .charge(amountMinor: 1_000, coverage: .availableOnly))
        #expect(try await ledger.refused("c3", .charge(amountMinor: 1, coverage: .availableOnly)) == .insufficientBalance(availableMinor: 0))
    }

    @Test(arguments: StoreKind.allCases)
    func aLateRecordMayLeaveDebtThatTheNextFundsRepayFirst(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        let late = try await ledger.ok("late", .charge(amountMinor: 1_500, coverage: .mayIncurDebt))
        #expect(late.consumedMinor == 1_500 && late.debtIncurredMinor == 500 && late.balanceAfterMinor == -500)
        #expect(try await ledger.figures() == CreditFigures(freeMinor: 0, heldMinor: 0, debtMinor: 500))
        #expect(try await ledger.refused("c", .charge(amountMinor: 1, coverage: .availableOnly)) == .insufficientBalance(availableMinor: -500))
        #expect(
            try await ledger.refused("h", .reserve(holdId: HoldId("call"), amountMinor: 1, expiresAt: t0.adding(seconds: 60)))
                == .insufficientBalance(availableMinor: -500)
        )
        let refill = try await ledger.ok("refill", .addFunds(source: .recharge, amountMinor: 2_000))
        #expect(refill.debtRepaidMinor == 500 && refill.balanceAfterMinor == 1_500)
        #expect(try await ledger.lot(refill.lotId).freeMinor == 1_500)
        #expect(try await ledger.figures().debtMinor == 0)
    }

    @Test(arguments: StoreKind.allCases)
    func fundsSmallerThanTheDebtGoEntirelyToIt(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("late", .charge(amountMinor: 700, coverage: .mayIncurDebt))
        let small = try await ledger.ok("small", .addFunds(source: .purchase, amountMinor: 300))
        #expect(small.debtRepaidMinor == 300 && small.balanceAfterMinor == -400)
        #expect(try await ledger.lot(small.lotId).freeMinor == 0)
    }

    @Test(arguments: StoreKind.allCases)
    func holdsReduceTheAvailableBalanceSoTwoCallsCannotSpendTheSameMoney(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        let expiry = t0.adding(seconds: 1200)
        try await ledger.ok("a", .reserve(holdId: HoldId("call-a"), amountMinor: 600, expiresAt: expiry))
        #expect(try await ledger.figures() == CreditFigures(freeMinor: 400, heldMinor: 600, debtMinor: 0))
        #expect(
            try await ledger.refused("b", .reserve(holdId: HoldId("call-b"), amountMinor: 600, expiresAt: expiry))
                == .insufficientBalance(availableMinor: 400)
        )
        try await ledger.ok("b2", .reserve(holdId: HoldId("call-b"), amountMinor: 400, expiresAt: expiry))
        #expect(try await ledger.figures().availableMinor == 0)
        #expect(try await ledger.figures().balanceMinor == 1_000)
        #expect(try await ledger.refused("c", .charge(amountMinor: 1, coverage: .availableOnly)) == .insufficientBalance(availableMinor: 0))
    }

    @Test(arguments: StoreKind.allCases)
    func postingPartOfAHoldReleasesTheRest(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        try await ledger.ok("r", .reserve(holdId: HoldId("call"), amountMinor: 600, expiresAt: t0.adding(seconds: 600)))
        let post = try await ledger.ok("p", .postHold(holdId: HoldId("call"), amountMinor: 250), at: t0.adding(seconds: 200))
        #expect(post.consumedMinor == 250 && post.releasedMinor == 350 && post.availableAfterMinor == 750)
        #expect(try await ledger.figures(at: t0.adding(seconds: 200)) == CreditFigures(freeMinor: 750, heldMinor: 0, debtMinor: 0))
        #expect(try await ledger.statement().openHolds.isEmpty)
        #expect(try await ledger.refused("p2", .postHold(holdId: HoldId("call"), amountMinor: 1)) == .holdNotOpen(HoldId("call"), .posted))
    }

    @Test(arguments: StoreKind.allCases)
    func extendingAHoldReservesMoreAndMovesItsExpiry(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        try await ledger.ok("r", .reserve(holdId: HoldId("call"), amountMinor: 300, expiresAt: t0.adding(seconds: 600)))
        #expect(
            try await ledger.refused("x", .extendHold(holdId: HoldId("call"), additionalMinor: 701, expiresAt: t0.adding(seconds: 1200)))
                == .insufficientBalance(availableMinor: 700)
        )
        try await ledger.ok("e", .extendHold(holdId: HoldId("call"), additionalMinor: 200, expiresAt: t0.adding(seconds: 1200)))
        let hold = try #require(try await ledger.statement().openHolds.first)
        #expect(hold.openMinor == 500 && hold.reservedMinor == 500 && hold.expiresAt == t0.adding(seconds: 1200))
        // Not timed out at its first expiry any more.
        #expect(try await ledger.store.settleDue(at: t0.adding(seconds: 900)) == 0)
        // In debt, a hold still has its deadline moved (that spends nothing), but gets no more.
        try await ledger.ok("debt", .charge(amountMinor: 900, coverage: .mayIncurDebt))
        #expect(
            try await ledger.refused("x2", .extendHold(holdId: HoldId("call"), additionalMinor: 1, expiresAt: t0.adding(seconds: 1800)))
                == .insufficientBalance(availableMinor: -400)
        )
        try await ledger.ok("e2", .extendHold(holdId: HoldId("call"), additionalMinor: 0, expiresAt: t0.adding(seconds: 1800)))
        #expect(try await ledger.statement().openHolds.first?.expiresAt == t0.adding(seconds: 1800))
    }

    @Test(arguments: StoreKind.allCases)
    func postingMoreThanTheHoldSpendsFreeFundsThenDebt(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        try await ledger.ok("r", .reserve(holdId: HoldId("call"), amountMinor: 600, expiresAt: t0.adding(seconds: 600)))
        try await ledger.ok("c", .charge(amountMinor: 300, coverage: .availableOnly))
        let post = try await ledger.ok("p", .postHold(holdId: HoldId("call"), amountMinor: 900))
        #expect(post.consumedMinor == 900 && post.debtIncurredMinor == 200 && post.releasedMinor == 0)
        #expect(try await ledger.figures() == CreditFigures(freeMinor: 0, heldMinor: 0, debtMinor: 200))
    }

    @Test(arguments: StoreKind.allCases)
    func voidingAHoldReleasesAllOfIt(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        try await ledger.ok("r", .reserve(holdId: HoldId("call"), amountMinor: 600, expiresAt: t0.adding(seconds: 600)))
        let void = try await ledger.ok("v", .voidHold(holdId: HoldId("call")))
        #expect(void.releasedMinor == 600 && void.consumedMinor == 0 && void.availableAfterMinor == 1_000)
        #expect(try await ledger.refused("v2", .voidHold(holdId: HoldId("call"))) == .holdNotOpen(HoldId("call"), .voided))
        #expect(
            try await ledger.refused("r2", .reserve(holdId: HoldId("call"), amountMinor: 1, expiresAt: t0.adding(seconds: 60)))
                == .holdAlreadyExists(HoldId("call"))
        )
    }

    @Test(arguments: StoreKind.allCases)
    func releasedFundsRepayDebtFirst(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        try await ledger.ok("r", .reserve(holdId: HoldId("call"), amountMinor: 600, expiresAt: t0.adding(seconds: 600)))
        try await ledger.ok("late", .charge(amountMinor: 700, coverage: .mayIncurDebt))
        #expect(try await ledger.figures() == CreditFigures(freeMinor: 0, heldMinor: 600, debtMinor: 300))
        let void = try await ledger.ok("v", .voidHold(holdId: HoldId("call")))
        #expect(void.debtRepaidMinor == 300 && void.balanceAfterMinor == 300)
        #expect(try await ledger.figures() == CreditFigures(freeMinor: 300, heldMinor: 0, debtMinor: 0))
    }

    @Test(arguments: StoreKind.allCases)
    func aSilentHoldTimesOutAndIsChargedForAllItHeld(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        try await ledger.ok("r", .reserve(holdId: HoldId("call"), amountMinor: 600, expiresAt: t0.adding(seconds: 120)))
        #expect(try await ledger.store.settleDue(at: t0.adding(seconds: 119)) == 0)
        #expect(try await ledger.store.settleDue(at: t0.adding(seconds: 121)) == 1)
        #expect(try await ledger.store.settleDue(at: t0.adding(seconds: 122)) == 0)
        let timeout = try await ledger.store.transactions(for: ledger.tenant, before: nil, limit: 1)[0].receipt
        #expect(timeout.kind == .holdTimeout && timeout.consumedMinor == 600 && timeout.occurredAt == t0.adding(seconds: 120))
        #expect(try await ledger.figures(at: t0.adding(seconds: 200)) == CreditFigures(freeMinor: 400, heldMinor: 0, debtMinor: 0))
        #expect(
            try await ledger.refused("p", .postHold(holdId: HoldId("call"), amountMinor: 10), at: t0.adding(seconds: 130))
                == .holdNotOpen(HoldId("call"), .timedOut)
        )
    }

    @Test(arguments: StoreKind.allCases)
    func aTimeOutIsSettledBeforeTheNextRequestEvenWithoutTheJob(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        try await ledger.ok("r", .reserve(holdId: HoldId("call"), amountMinor: 600, expiresAt: t0.adding(seconds: 120)))
        let late = try await ledger.run("p", .postHold(holdId: HoldId("call"), amountMinor: 10), at: t0.adding(seconds: 121))
        #expect(late == .failure(.holdNotOpen(HoldId("call"), .timedOut)))
        let journal = try await ledger.store.transactions(for: ledger.tenant, before: nil, limit: 10).map(\.receipt.kind)
        #expect(journal == [.holdTimeout, .reserve, .purchase])
    }

    @Test(arguments: StoreKind.allCases)
    func anExpiredLotForfeitsItsRemainderAsItsOwnEntry(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        let lot = try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        try await ledger.ok("c", .charge(amountMinor: 300, coverage: .availableOnly))
        let expiry = t0.adding(months: 12)
        #expect(try await ledger.store.settleDue(at: Instant(millisecondsSinceEpoch: expiry.millisecondsSinceEpoch - 1)) == 0)
        #expect(try await ledger.figures(at: expiry).balanceMinor == 0, "expired funds count for nothing even before booking")
        #expect(try await ledger.store.settleDue(at: expiry) == 1)
        let forfeiture = try await ledger.store.transactions(for: ledger.tenant, before: nil, limit: 1)[0]
        #expect(forfeiture.receipt.kind == .lotExpiry && forfeiture.receipt.forfeitedMinor == 700 && forfeiture.receipt.lotId == lot.lotId)
        #expect(Set(forfeiture.entries.map(\.account)) == [.lotFree, .forfeiture])
        let expired = try await ledger.lot(lot.lotId, at: expiry)
        #expect(expired.forfeitedMinor == 700 && expired.freeMinor == 0 && expired.consumedMinor == 300)
        #expect(
            try await ledger.refused("c2", .charge(amountMinor: 1, coverage: .availableOnly), at: expiry)
                == .insufficientBalance(availableMinor: 0)
        )
    }

    @Test(arguments: StoreKind.allCases)
    func heldFundsOfAnExpiredLotAreForfeitedWhenReleased(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        let lot = try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        let expiry = t0.adding(months: 12)
        try await ledger.ok(
            "r",
            .reserve(holdId: HoldId("call"), amountMinor: 400, expiresAt: expiry.adding(seconds: 600)),
            at: expiry.adding(seconds: -60)
        )
        #expect(try await ledger.store.settleDue(at: expiry) == 1)
        #expect(try await ledger.figures(at: expiry) == CreditFigures(freeMinor: 0, heldMinor: 400, debtMinor: 0))
        let post = try await ledger.ok("p", .postHold(holdId: HoldId("call"), amountMinor: 100), at: expiry.adding(seconds: 30))
        #expect(post.consumedMinor == 100 && post.releasedMinor == 300 && post.forfeitedMinor == 300)
        let settled = try await ledger.lot(lot.lotId, at: expiry.adding(seconds: 30))
        #expect(settled.forfeitedMinor == 900 && settled.consumedMinor == 100 && !settled.isLive)
    }

    @Test(arguments: StoreKind.allCases)
    func aRepeatedKeyReturnsTheFirstReceiptAndChangesNothing(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        let first = try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        let charge = try await ledger.ok("charge-1", .charge(amountMinor: 100, coverage: .availableOnly))
        let before = try await ledger.snapshot(at: t0.adding(days: 1))
        #expect(try await ledger.ok("charge-1", .charge(amountMinor: 100, coverage: .availableOnly), at: t0.adding(days: 1)) == charge)
        #expect(try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000), at: t0.adding(days: 1)) == first)
        #expect(try await ledger.snapshot(at: t0.adding(days: 1)) == before)
        #expect(
            try await ledger.refused("charge-1", .charge(amountMinor: 101, coverage: .availableOnly))
                == .idempotencyConflict(try IdempotencyKey("charge-1"))
        )
        #expect(
            try await ledger.refused("charge-1", .charge(amountMinor: 100, coverage: .mayIncurDebt))
                == .idempotencyConflict(try IdempotencyKey("charge-1"))
        )
    }

    @Test(arguments: StoreKind.allCases)
    func aBatchAppliesInOrderWithOneResultPerRequest(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        let requests = try [
            LedgerRequest(key: IdempotencyKey("1"), command: .addFunds(source: .purchase, amountMinor: 500)),
            LedgerRequest(key: IdempotencyKey("2"), command: .charge(amountMinor: 400, coverage: .availableOnly)),
            LedgerRequest(key: IdempotencyKey("3"), command: .charge(amountMinor: 400, coverage: .availableOnly)),
            LedgerRequest(key: IdempotencyKey("2"), command: .charge(amountMinor: 400, coverage: .availableOnly)),
            LedgerRequest(key: IdempotencyKey("2"), command: .charge(amountMinor: 1, coverage: .availableOnly)),
        ]
        let results = try await ledger.store.execute(requests, for: ledger.tenant, at: t0)
        #expect(results.count == 5)
        #expect(try results[1].get().availableAfterMinor == 100)
        #expect(results[2] == .failure(.insufficientBalance(availableMinor: 100)))
        #expect(results[3] == results[1])
        #expect(results[4] == .failure(.idempotencyConflict(try IdempotencyKey("2"))))
        #expect(try await ledger.figures().balanceMinor == 100)
        let tooMany = Array(repeating: requests[1], count: LedgerLimits.maximumBatchSize + 1)
        await #expect(throws: LedgerError.batchTooLarge(count: LedgerLimits.maximumBatchSize + 1)) {
            try await ledger.store.execute(tooMany, for: ledger.tenant, at: t0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func refundsGiveBackFreeFundsOnly(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        let lot = try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        try await ledger.ok("c", .charge(amountMinor: 300, coverage: .availableOnly))
        let lotId = try #require(lot.lotId)
        #expect(try await ledger.refused("x", .refund(lotId: lotId, amountMinor: 701)) == .refundExceedsFreeFunds(lotId, freeMinor: 700))
        #expect(try await ledger.refused("y", .refund(lotId: LotId(999), amountMinor: 1)) == .refundExceedsFreeFunds(LotId(999), freeMinor: 0))
        try await ledger.ok("refund", .refund(lotId: lotId, amountMinor: 700))
        let refunded = try await ledger.lot(lotId)
        #expect(refunded.refundedMinor == 700 && refunded.consumedMinor == 300 && refunded.freeMinor == 0)
    }

    @Test(arguments: StoreKind.allCases)
    func badAmountsAndNamesAreRefused(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 1_000))
        let tooMuch = LedgerLimits.maximumAmountMinor + 1
        let bounds = LedgerError.invalidAmount(minimumMinor: 1, maximumMinor: LedgerLimits.maximumAmountMinor)
        for amount in [0, -1, Int64.min, tooMuch, Int64.max] {
            #expect(try await ledger.refused("a\(amount)", .addFunds(source: .purchase, amountMinor: amount)) == bounds)
            #expect(try await ledger.refused("c\(amount)", .charge(amountMinor: amount, coverage: .mayIncurDebt)) == bounds)
            #expect(
                try await ledger.refused("r\(amount)", .reserve(holdId: HoldId("h"), amountMinor: amount, expiresAt: t0.adding(seconds: 9))) == bounds
            )
        }
        try await ledger.ok("h", .reserve(holdId: HoldId("h"), amountMinor: 10, expiresAt: t0.adding(seconds: 60)))
        #expect(
            try await ledger.refused("p", .postHold(holdId: HoldId("h"), amountMinor: -1))
                == .invalidAmount(minimumMinor: 0, maximumMinor: LedgerLimits.maximumAmountMinor)
        )
        #expect(try await ledger.refused("u", .postHold(holdId: HoldId("nobody"), amountMinor: 1)) == .unknownHold(HoldId("nobody")))
        #expect(try await ledger.refused("u2", .voidHold(holdId: HoldId("nobody"))) == .unknownHold(HoldId("nobody")))
        #expect(
            try await ledger.refused("e", .reserve(holdId: HoldId("late"), amountMinor: 1, expiresAt: t0)) == .holdExpiryNotInFuture(HoldId("late"))
        )
        #expect(
            try await ledger.refused("e2", .extendHold(holdId: HoldId("h"), additionalMinor: 1, expiresAt: t0.adding(seconds: -1)))
                == .holdExpiryNotInFuture(HoldId("h"))
        )
        for key in ["", "~mine", String(repeating: "k", count: IdempotencyKey.maximumLength + 1), "tab\there"] {
            #expect(throws: LedgerError.invalidIdempotencyKey) { try IdempotencyKey(key) }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func accountsAreOpenedOnceInOneCurrency(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.store.openAccount(ledger.tenant, currency: .usd, at: t0)
        await #expect(throws: LedgerError.currencyMismatch(ledger.tenant, existing: .usd)) {
            try await ledger.store.openAccount(ledger.tenant, currency: .eur, at: t0)
        }
        await #expect(throws: LedgerError.unknownAccount(TenantId("fabrikam"))) {
            try await ledger.store.execute(
                LedgerRequest(key: IdempotencyKey("k"), command: .addFunds(source: .purchase, amountMinor: 1)),
                for: TenantId("fabrikam"),
                at: t0
            )
        }
        try await ledger.store.openAccount(TenantId("fabrikam"), currency: .jpy, at: t0)
        _ = try await ledger.store.execute(
            LedgerRequest(key: IdempotencyKey("buy"), command: .addFunds(source: .purchase, amountMinor: 5)),
            for: TenantId("fabrikam"),
            at: t0
        )
        // The same key in another tenant is another request.
        let own = try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 7))
        #expect(own.balanceAfterMinor == 7)
        #expect(try await ledger.store.tenantIds() == [TenantId("contoso"), TenantId("fabrikam")])
        #expect(try await ledger.store.verify().isConsistent)
    }
}
