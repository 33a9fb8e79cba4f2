/// The balance at the end of each day and what calls spent that day, for the chart on the
/// product page: from the journal, newest transactions first, as the store lists them.
public struct BalanceHistory: Hashable, Sendable {
    public struct Day: Hashable, Sendable {
        public let date: CivilDate
        public let balanceMinor: Int64
        public let spentMinor: Int64
    }

    public let days: [Day]

    /// `transactions` newest first, reaching at least to the start of the first day (or all of
    /// them); the days run up to and including the day of `now`.
    public init(transactions: [LedgerReceipt], days count: Int, endingAt now: Instant) {
        let first = Self.start(days: count, endingAt: now)
        var balance = transactions.first { $0.occurredAt < first }?.balanceAfterMinor ?? 0
        let window = transactions.filter { $0.occurredAt >= first }.reversed()
        var index = window.startIndex
        var days: [Day] = []
        for offset in 0..<Int64(count) {
            let end = first.adding(days: offset + 1)
            var spent: Int64 = 0
            while index < window.endIndex, window[index].occurredAt < end {
                let receipt = window[index]
                if Self.spending.contains(receipt.kind) { spent += receipt.consumedMinor + receipt.debtIncurredMinor }
                balance = receipt.balanceAfterMinor
                index = window.index(after: index)
            }
            days.append(Day(date: first.adding(days: offset).civilDateAndTime.date, balanceMinor: balance, spentMinor: spent))
        }
        self.days = days
    }

    /// The start of the first of `count` days that end with the day of `now`: the journal must
    /// reach back past it for the first day's opening balance.
    public static func start(days count: Int, endingAt now: Instant) -> Instant {
        now.civilDateAndTime.date.instant().adding(days: -Int64(count - 1))
    }

    /// What calls and records spend; a reservation spends only once it is posted.
    private static let spending: Set<TransactionKind> = [.charge, .postHold, .holdTimeout, .creditBack]
}
