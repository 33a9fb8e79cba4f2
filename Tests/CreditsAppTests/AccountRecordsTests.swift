import CreditsApp
import CreditsCore
import CreditsStore
import Reports
import Testing

/// What administrators read about their account, as the routes and pages read it.
@Suite struct AccountRecordsTests {
    @Test("The 90-day chart reads the journal back as far as its first day needs, however many transactions that is")
    func theBalanceHistoryReachesPastThousandsOfTransactions() async throws {
        try await DatabaseLocation(TestServer.temporaryDatabase()).withStores { stores in
            let tenant = TenantId("busy")
            let now = ISO8601.parse("2027-06-30T18:00:00Z")!
            let start = BalanceHistory.start(days: 90, endingAt: now)
            try await stores.ledger.openAccount(tenant, currency: .usd, at: start.adding(days: -5))
            let bought = LedgerRequest(key: try IdempotencyKey("bought"), command: .addFunds(source: .purchase, amountMinor: 1_000_000))
            _ = try await stores.ledger.execute(bought, for: tenant, at: start.adding(days: -5))
            // 30 charges of 7 cents a day for the 90 days: 2,700 transactions after the purchase.
            for day in 0..<90 {
                let charges = try (0..<30).map { index in
                    LedgerRequest(key: try IdempotencyKey("charge-\(day)-\(index)"), command: .charge(amountMinor: 7, coverage: .availableOnly))
                }
                _ = try await stores.ledger.execute(charges, for: tenant, at: start.adding(days: Int64(day)).adding(seconds: 3600))
            }
            let history = try await AccountRecords(stores: stores).balanceHistory(of: tenant, days: 90, endingAt: now)
            let everything = try await stores.ledger.transactions(for: tenant, before: nil, limit: 10_000).map(\.receipt)
            #expect(everything.count == 2_701)
            #expect(history == BalanceHistory(transactions: everything, days: 90, endingAt: now))
            let (first, last) = (try #require(history.days.first), try #require(history.days.last))
            #expect(first.balanceMinor == 1_000_000 - 30 * 7 && first.spentMinor == 30 * 7)
            #expect(last.balanceMinor == 1_000_000 - 90 * 30 * 7 && last.date == now.civilDateAndTime.date)
        }
    }
}
