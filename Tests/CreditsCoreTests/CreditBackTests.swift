import CreditsCore
import Testing

/// `LedgerCommand.creditBack`: part of what a settled hold spent goes back to the lots it was
/// spent from, the last drawn first; forfeited where a lot has expired; debt is repaid first.
@Suite("Credit-back of a settled hold")
struct CreditBackTests {
    let start = Instant(millisecondsSinceEpoch: 1_800_000_000_000)
    let hold = HoldId("call/s")

    struct Ledger {
        var account = CreditAccount(tenantId: TenantId("t"), currency: .usd, liveLots: [], holds: [], debtMinor: 0)
        var ids = LedgerIdAllocator(nextLotId: 1, nextTransactionId: 1)
        var requests = 0

        @discardableResult
        mutating func run(_ command: LedgerCommand, at now: Instant) -> Result<LedgerReceipt, LedgerError> {
            requests += 1
            return account.execute(LedgerRequest(key: try! IdempotencyKey("r\(requests)"), command: command), at: now, ids: &ids, recorded: [:])
        }

        /// Free funds by lot id.
        var free: [Int64: Int64] { Dictionary(uniqueKeysWithValues: account.liveLots.map { ($0.id.rawValue, $0.freeMinor) }) }
    }

    /// Two lots of 100, a hold of 150 over both, posted in full: the first lot is spent.
    func spentOverTwoLots() -> Ledger {
        var ledger = Ledger()
        ledger.run(.addFunds(source: .purchase, amountMinor: 100), at: start)
        ledger.run(.addFunds(source: .purchase, amountMinor: 100), at: start.adding(days: 1))
        ledger.run(.reserve(holdId: hold, amountMinor: 150, expiresAt: start.adding(days: 3)), at: start.adding(days: 2))
        ledger.run(.postHold(holdId: hold, amountMinor: 150), at: start.adding(days: 2))
        return ledger
    }

    @Test("It refills the last lot drawn first, then the one before; never more than was spent")
    func lastDrawnFirst() throws {
        var ledger = spentOverTwoLots()
        #expect(ledger.free == [2: 50])
        let receipt = try ledger.run(.creditBack(holdId: hold, amountMinor: 120), at: start.adding(days: 2)).get()
        #expect(receipt.kind == .creditBack && receipt.consumedMinor == -120 && receipt.balanceAfterMinor == 170)
        #expect(ledger.free == [1: 70, 2: 100])
        #expect(
            ledger.run(.creditBack(holdId: hold, amountMinor: 31), at: start.adding(days: 2))
                == .failure(.creditBackExceedsSpent(hold, spentMinor: 30))
        )
        #expect(ledger.account.figures.balanceMinor == 170, "a refusal changes nothing")
    }

    @Test("An open or unknown hold gives nothing back")
    func onlySettledHolds() {
        var ledger = Ledger()
        ledger.run(.addFunds(source: .purchase, amountMinor: 100), at: start)
        ledger.run(.reserve(holdId: hold, amountMinor: 50, expiresAt: start.adding(days: 1)), at: start)
        #expect(ledger.run(.creditBack(holdId: hold, amountMinor: 10), at: start) == .failure(.holdNotSettled(hold)))
        #expect(ledger.run(.creditBack(holdId: HoldId("other"), amountMinor: 10), at: start) == .failure(.unknownHold(HoldId("other"))))
        ledger.run(.voidHold(holdId: hold), at: start)
        #expect(ledger.run(.creditBack(holdId: hold, amountMinor: 1), at: start) == .failure(.creditBackExceedsSpent(hold, spentMinor: 0)))
    }

    @Test("A lot the store did not load must be loaded before funds go back to it")
    func spentLotLoaded() throws {
        let before = spentOverTwoLots()
        let settled = try #require(before.account.settledHolds[hold])
        #expect(settled.allocations.map(\.amountMinor) == [100, 50] && settled.postedMinor == 150)
        var reloaded = Ledger()
        reloaded.account = CreditAccount(tenantId: TenantId("t"), currency: .usd, liveLots: before.account.liveLots, holds: [settled], debtMinor: 0)
        reloaded.ids = before.ids
        #expect(reloaded.account.lotsToLoad(forCreditBackOf: hold) == [LotId(1)])
        #expect(
            reloaded.run(.creditBack(holdId: hold, amountMinor: 80), at: start.adding(days: 2))
                == .failure(.creditBackExceedsSpent(hold, spentMinor: 150))
        )
        let spentLot = Lot(
            id: LotId(1),
            source: .purchase,
            amountMinor: 100,
            freeMinor: 0,
            heldMinor: 0,
            forfeitedMinor: 0,
            refundedMinor: 0,
            purchasedAt: start,
            expiresAt: start.adding(months: 12)
        )
        reloaded.account.know(lots: [spentLot])
        _ = try reloaded.run(.creditBack(holdId: hold, amountMinor: 80), at: start.adding(days: 2)).get()
        #expect(reloaded.free == [1: 30, 2: 100])
    }

    @Test("Funds given back to a lot that has expired are forfeited at once")
    func expiredLotForfeits() throws {
        var ledger = spentOverTwoLots()
        let receipt = try ledger.run(.creditBack(holdId: hold, amountMinor: 120), at: start.adding(months: 12)).get()
        #expect(receipt.forfeitedMinor == 70, "the first lot has expired; the second, bought a day later, has not")
        #expect(ledger.free == [2: 100])
    }

    @Test("Debt is repaid before anything is free again")
    func repaysDebt() throws {
        var ledger = Ledger()
        ledger.run(.addFunds(source: .purchase, amountMinor: 100), at: start)
        ledger.run(.reserve(holdId: hold, amountMinor: 100, expiresAt: start.adding(days: 1)), at: start)
        ledger.run(.postHold(holdId: hold, amountMinor: 150), at: start)
        #expect(ledger.account.debtMinor == 50)
        let receipt = try ledger.run(.creditBack(holdId: hold, amountMinor: 60), at: start).get()
        #expect(receipt.debtRepaidMinor == 50 && ledger.account.debtMinor == 0 && ledger.free == [1: 10])
        #expect(
            ledger.run(.creditBack(holdId: hold, amountMinor: 41), at: start) == .failure(.creditBackExceedsSpent(hold, spentMinor: 40)),
            "only what was spent from the lots can go back, not the debt"
        )
    }
}
