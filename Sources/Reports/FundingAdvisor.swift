public import CreditsCore
public import CreditsStore

/// Reads what `FundingAdvice` is drawn from: the credit statement and the daily credit spend
/// of the usage records.
public struct FundingAdvisor: Sendable {
    let stores: Stores

    public init(stores: Stores) {
        self.stores = stores
    }

    /// Nil until the tenant has a full day of history since its first purchase.
    public func advice(for tenant: Tenant, coverDays: Int64 = FundingAdvice.standardCoverDays, at now: Instant) async throws -> FundingAdvice? {
        try FundingAdvice.checkCoverDays(coverDays)
        let statement = try await stores.ledger.statement(for: tenant.id, at: now)
        let firstPurchase = statement.lots.map(\.purchasedAt).min()
        let days = FundingAdvice.historyDays(firstPurchase: firstPurchase, at: now)
        guard let first = days.first, let last = days.last else { return nil }
        let spend = try await stores.calls.charges(
            for: tenant.id,
            from: first.instant(),
            to: last.instant().adding(days: 1),
            periodMilliseconds: Instant.millisecondsPerDay,
            paidBy: Set(Capability.allCases.filter(\.isCredits))
        )
        let daily = Dictionary(uniqueKeysWithValues: spend.map { ($0.key.civilDateAndTime.date, $0.value) })
        return FundingAdvice(statement: statement, daily: daily, firstPurchase: firstPurchase, coverDays: coverDays, at: now)
    }
}
