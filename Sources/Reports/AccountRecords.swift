public import CreditsCore
public import CreditsStore

/// What an organization's administrators read about its account: the balance and its lots, the
/// journal, invoices, recharges, usage, pools, refused calls and notifications, the funding
/// advice and the usage exports. The routes and pages read through here, never the stores, so
/// that how far a read reaches is decided in one place.
public struct AccountRecords: Sendable {
    let stores: Stores
    public let advisor: FundingAdvisor
    public let export: UsageExport

    public init(stores: Stores) {
        self.stores = stores
        advisor = FundingAdvisor(stores: stores)
        export = UsageExport(stores: stores)
    }

    public func statement(of tenantId: TenantId, at now: Instant) async throws -> CreditStatement {
        try await stores.ledger.statement(for: tenantId, at: now)
    }

    public func billingSettings(of tenantId: TenantId) async throws -> BillingSettings {
        try await stores.billing.settings(for: tenantId)
    }

    /// The journal, newest first: `limit` transactions older than `before`.
    public func transactions(of tenantId: TenantId, before: TransactionId?, limit: Int) async throws -> [JournalTransaction] {
        try await stores.ledger.transactions(for: tenantId, before: before, limit: limit)
    }

    /// The balance at the end of each of the last `days` days, and what calls spent each day:
    /// the journal read back a page at a time, only as far as the first day needs.
    public func balanceHistory(of tenantId: TenantId, days: Int, endingAt now: Instant) async throws -> BalanceHistory {
        let start = BalanceHistory.start(days: days, endingAt: now)
        var receipts: [LedgerReceipt] = []
        var before: TransactionId?
        while true {
            let page = try await stores.ledger.transactions(for: tenantId, before: before, limit: Self.journalPage)
            receipts += page.map(\.receipt)
            guard page.count == Self.journalPage, let oldest = page.last?.receipt, oldest.occurredAt >= start else { break }
            before = oldest.transactionId
        }
        return BalanceHistory(transactions: receipts, days: days, endingAt: now)
    }

    static let journalPage = 1_000

    public func recharges(of tenantId: TenantId, limit: Int) async throws -> [RechargeRecord] {
        try await stores.billing.recharges(for: tenantId, limit: limit)
    }

    /// The invoices, newest first: `limit` of them numbered below `before`.
    public func invoices(of tenantId: TenantId, before: Int64?, limit: Int) async throws -> [Invoice] {
        try await stores.billing.invoices(for: tenantId, before: before, limit: limit)
    }

    public func invoice(_ id: Int64, of tenantId: TenantId) async throws -> Invoice? {
        try await stores.billing.invoice(id, for: tenantId)
    }

    public func postUsageInvoices(of tenantId: TenantId) async throws -> [PostUsageInvoice] {
        try await stores.calls.postUsageInvoices(for: tenantId)
    }

    /// The usage records that started in [`from`, `to`), in order, `limit` after `after`.
    public func usageRecords(of tenantId: TenantId, from: Instant, to: Instant, after: UsageCursor?, limit: Int) async throws -> [UsageRecord] {
        try await stores.calls.usageRecords(for: tenantId, from: from, to: to, after: after, limit: limit)
    }

    public func pools(of tenantId: TenantId, month: CalendarMonth) async throws -> [PoolBalance] {
        try await stores.calls.pools(for: tenantId, month: month)
    }

    /// The calls refused each day from `from` to `to`, both included.
    public func refusedCalls(of tenantId: TenantId, from: CivilDate, to: CivilDate) async throws -> [RefusedCalls] {
        try await stores.calls.refusedCalls(for: tenantId, from: from, to: to)
    }

    /// The notifications, newest first, with the mail kept in the local mailbox for each delivery.
    public func notifications(
        of tenantId: TenantId,
        before: Int64?,
        limit: Int
    ) async throws -> (notifications: [NotificationRecord], kept: [Int64: KeptMail]) {
        let records = try await stores.notifications.notifications(for: tenantId, before: before, limit: limit)
        let kept = try await stores.notifications.mailbox(of: tenantId, deliveryIds: records.flatMap { $0.deliveries.map(\.id) })
        return (records, kept)
    }

    /// A message kept in the local mailbox, by its delivery.
    public func keptMail(_ deliveryId: Int64, of tenantId: TenantId) async throws -> KeptMail? {
        try await stores.notifications.mailbox(of: tenantId, deliveryIds: [deliveryId])[deliveryId]
    }
}
