import CreditsCore
import CreditsStore
import Testing

/// Many callers at once, as the telephony platform's calls arrive: requests that share a commit
/// must still each see the money the previous ones took.
@Suite struct ConcurrentLedgerTests {
    @Test(arguments: StoreKind.allCases)
    func concurrentHoldsNeverReserveTheSameMoneyTwice(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 5_000))
        let results = try await withThrowingTaskGroup(of: Result<LedgerReceipt, LedgerError>.self) { group in
            for call in 0..<120 {
                group.addTask {
                    try await ledger.run(
                        "call-\(call)",
                        .reserve(
                            holdId: HoldId("call-\(call)"),
                            amountMinor: 100,
                            expiresAt: Ledger.start.adding(seconds: 600)
                        ),
                        at: Ledger.start
                    )
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter(\.isSuccess).count == 50)
        #expect(results.allSatisfy { $0.isSuccess || $0 == .failure(.insufficientBalance(availableMinor: 0)) })
        #expect(try await ledger.figures() == CreditFigures(freeMinor: 0, heldMinor: 5_000, debtMinor: 0))
        #expect(try await ledger.store.verify().isConsistent)
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentChargesAcrossTenantsAreEachAppliedOnce(kind: StoreKind) async throws {
        let ledger = try await Ledger(kind)
        let other = TenantId("fabrikam")
        try await ledger.store.openAccount(other, currency: .eur, at: Ledger.start)
        try await ledger.ok("buy", .addFunds(source: .purchase, amountMinor: 100_000))
        _ = try await ledger.store.execute(
            LedgerRequest(key: IdempotencyKey("buy"), command: .addFunds(source: .purchase, amountMinor: 100_000)),
            for: other,
            at: Ledger.start
        )
        let store = ledger.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let tenant = index.isMultiple(of: 2) ? TenantId("contoso") : other
                    // Every request twice, as a retrying client would send it.
                    let request = LedgerRequest(
                        key: try IdempotencyKey("charge-\(index / 4)"),
                        command: .charge(amountMinor: 10, coverage: .availableOnly)
                    )
                    _ = try await store.execute(request, for: tenant, at: Ledger.start)
                }
                group.addTask {
                    // A caller naming an account that does not exist fails alone.
                    await #expect(throws: LedgerError.unknownAccount(TenantId("nobody"))) {
                        try await store.execute(
                            LedgerRequest(key: IdempotencyKey("x"), command: .charge(amountMinor: 1, coverage: .availableOnly)),
                            for: TenantId("nobody"),
                            at: Ledger.start
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await ledger.figures().balanceMinor == 100_000 - 50 * 10)
        #expect(try await store.statement(for: other, at: Ledger.start).figures.balanceMinor == 100_000 - 50 * 10)
        #expect(try await store.verify().isConsistent)
    }
}
