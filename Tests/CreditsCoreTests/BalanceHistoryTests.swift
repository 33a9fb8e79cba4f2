import CreditsCore
import Testing

/// The days the product page draws: the balance at each day's end and what was spent that day.
@Suite struct BalanceHistoryTests {
    func receipt(_ id: Int64, _ kind: TransactionKind, at text: String, consumed: Int64 = 0, debt: Int64 = 0, balanceAfter: Int64) -> LedgerReceipt {
        LedgerReceipt(
            transactionId: TransactionId(id),
            kind: kind,
            occurredAt: ISO8601.parse(text)!,
            amountMinor: 0,
            consumedMinor: consumed,
            debtIncurredMinor: debt,
            debtRepaidMinor: 0,
            releasedMinor: 0,
            forfeitedMinor: 0,
            lotId: nil,
            holdId: nil,
            balanceAfterMinor: balanceAfter,
            availableAfterMinor: balanceAfter
        )
    }

    @Test func eachDayEndsWithItsLastBalanceAndCountsWhatCallsSpent() {
        let newestFirst = [
            receipt(6, .charge, at: "2027-03-05T10:00:00Z", consumed: 100, debt: 20, balanceAfter: -20),
            receipt(5, .postHold, at: "2027-03-03T23:59:59Z", consumed: 300, balanceAfter: 100),
            receipt(4, .reserve, at: "2027-03-03T20:00:00Z", balanceAfter: 400),
            receipt(3, .charge, at: "2027-03-03T09:00:00Z", consumed: 100, balanceAfter: 400),
            receipt(2, .purchase, at: "2027-03-02T12:00:00Z", balanceAfter: 500),
            receipt(1, .purchase, at: "2027-02-01T12:00:00Z", balanceAfter: 0),
        ]
        let days = BalanceHistory(transactions: newestFirst, days: 5, endingAt: ISO8601.parse("2027-03-05T18:00:00Z")!).days
        #expect(days.map { ISO8601.formatDate($0.date.instant()) } == ["2027-03-01", "2027-03-02", "2027-03-03", "2027-03-04", "2027-03-05"])
        #expect(days.map(\.balanceMinor) == [0, 500, 100, 100, -20], "carried over days without transactions; from before the window on the first")
        #expect(days.map(\.spentMinor) == [0, 0, 400, 0, 120], "charges and posted holds, debt included; a reservation is not spending")
    }

    @Test func anEmptyJournalIsAFlatLineAtZero() {
        let days = BalanceHistory(transactions: [], days: 90, endingAt: ISO8601.parse("2027-03-05T18:00:00Z")!).days
        #expect(days.count == 90 && days.allSatisfy { $0.balanceMinor == 0 && $0.spentMinor == 0 })
    }
}
