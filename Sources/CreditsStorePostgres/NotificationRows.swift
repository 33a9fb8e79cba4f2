import CreditsCore
import CreditsStore
import Logging
import PostgresNIO

/// Writing notifications into the outbox inside the caller's transaction, and reading them back.
enum NotificationRows {
    /// Keeps the event unless the tenant already has one under its key; true when it was kept.
    @discardableResult
    static func note(
        _ event: CreditEvent,
        of tenantId: TenantId,
        currency: Currency,
        balanceMinor: Int64,
        at now: Instant,
        _ c: PostgresSession
    ) async throws -> Bool {
        let facts = StoredEvent(event)
        return try await c.run(
            """
            INSERT INTO notification (tenant_id, event_key, kind, occurred_at, currency, balance_minor, reference, amount_minor, quantity, detail, due_at)
            VALUES (\(tenantId.rawValue), \(event.key), \(event.kind.rawValue), \(now.millisecondsSinceEpoch), \(currency.code), \(balanceMinor),
                    \(facts.reference), \(facts.amountMinor), \(facts.quantity), \(facts.detail), \(facts.dueAt))
            ON CONFLICT (tenant_id, event_key) DO NOTHING RETURNING id
            """
        ) > 0
    }

    /// Notes `event` with the tenant's balance as of `now`, read from its lots.
    @discardableResult
    static func note(_ event: CreditEvent, of tenantId: TenantId, at now: Instant, _ c: PostgresSession) async throws -> Bool {
        guard let balance = try await LedgerRows.balance(of: tenantId, at: now, c) else { return false }
        return try await note(event, of: tenantId, currency: balance.currency, balanceMinor: balance.balanceMinor, at: now, c)
    }

    /// The balance alerts of a ledger write (`CreditAlerts.balanceEvents`).
    /// `autoRecharge`: the tenant's settings when the caller knows them, else they are read.
    static func noteBalanceAlerts(
        of changes: LedgerChanges,
        account: CreditAccount,
        autoRecharge known: AutoRechargeSettings?,
        _ c: PostgresSession
    ) async throws {
        guard let opening = changes.openingBalanceMinor, let last = changes.transactions.last?.receipt,
            last.balanceAfterMinor < opening || changes.transactions.count > 1
        else { return }
        let receipts = changes.transactions.map(\.receipt)
        let autoRecharge: AutoRechargeSettings
        if let known { autoRecharge = known } else { autoRecharge = try await BillingRows.autoRecharge(account.tenantId, c) }
        let events = CreditAlerts.balanceEvents(openingBalanceMinor: opening, transactions: receipts, autoRecharge: autoRecharge)
        for event in events {
            let receipt = receipts.first { $0.transactionId == event.transactionId }!
            try await note(
                event,
                of: account.tenantId,
                currency: account.currency,
                balanceMinor: receipt.balanceAfterMinor,
                at: receipt.occurredAt,
                c
            )
        }
    }

    static let columns = """
        n.id, n.tenant_id, n.kind, n.occurred_at, n.currency, n.balance_minor, n.reference, n.amount_minor, n.quantity, n.detail, n.due_at
        """

    static func notification(_ row: PostgresRow) throws -> CreditNotification {
        let r = try row.decode((Int64, String, String, Int64, String, Int64, String, Int64?, Int64?, String?, Int64?).self)
        return notification(r)
    }

    private static func notification(
        _ r: (Int64, String, String, Int64, String, Int64, String, Int64?, Int64?, String?, Int64?)
    ) -> CreditNotification {
        let facts = StoredEvent(reference: r.6, amountMinor: r.7, quantity: r.8, detail: r.9, dueAt: r.10)
        return CreditNotification(
            id: r.0,
            tenantId: TenantId(r.1),
            event: facts.event(CreditEvent.Kind(rawValue: r.2)!),
            occurredAt: LedgerRows.instant(r.3),
            currency: Currency(code: r.4)!,
            balanceMinor: r.5
        )
    }

    static let deliveryColumns = "d.id, d.channel, d.address, d.state, d.attempts, d.last_error, d.finished_at"

    /// `deliveryColumns`, then `columns`.
    static func delivery(_ row: PostgresRow) throws -> NotificationDelivery {
        let r = try row.decode(
            (
                Int64, String, String, String, Int64, String?, Int64?,
                Int64, String, String, Int64, String, Int64, String, Int64?, Int64?, String?, Int64?
            ).self
        )
        return NotificationDelivery(
            id: r.0,
            notification: notification((r.7, r.8, r.9, r.10, r.11, r.12, r.13, r.14, r.15, r.16, r.17)),
            recipient: NotificationRecipient(channel: r.1, address: r.2)!,
            state: NotificationDelivery.State(rawValue: r.3)!,
            attempts: r.4,
            lastError: r.5,
            finishedAt: r.6.map(LedgerRows.instant)
        )
    }
}
