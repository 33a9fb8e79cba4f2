import CreditsCore
import CreditsStore
import GRDB

/// Writing notifications into the outbox inside the caller's transaction, and reading them back.
enum NotificationRows {
    /// Keeps the event unless the tenant already has one under its key.
    static func note(
        _ event: CreditEvent,
        of tenantId: TenantId,
        currency: Currency,
        balanceMinor: Int64,
        at now: Instant,
        _ db: Database
    ) throws {
        let facts = StoredEvent(event)
        try db.cachedStatement(
            sql: """
                INSERT INTO notification (tenant_id, event_key, kind, occurred_at, currency, balance_minor, reference, amount_minor,
                    quantity, detail, due_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (tenant_id, event_key) DO NOTHING
                """
        ).execute(arguments: [
            tenantId.rawValue, event.key, event.kind.rawValue, now.millisecondsSinceEpoch, currency.code, balanceMinor,
            facts.reference, facts.amountMinor, facts.quantity, facts.detail, facts.dueAt,
        ])
    }

    /// Notes `event` with the tenant's balance as of `now`, read from its lots.
    static func note(_ event: CreditEvent, of tenantId: TenantId, at now: Instant, _ db: Database) throws {
        guard let balance = try LedgerRows.balance(of: tenantId, at: now, db) else { return }
        try note(event, of: tenantId, currency: balance.currency, balanceMinor: balance.balanceMinor, at: now, db)
    }

    /// The balance alerts of a ledger write (`CreditAlerts.balanceEvents`).
    /// `autoRecharge`: the tenant's settings when the caller knows them, else they are read.
    static func noteBalanceAlerts(of changes: LedgerChanges, account: CreditAccount, autoRecharge known: AutoRechargeSettings?, _ db: Database) throws
    {
        guard let opening = changes.openingBalanceMinor, let last = changes.transactions.last?.receipt,
            last.balanceAfterMinor < opening || changes.transactions.count > 1
        else { return }
        let receipts = changes.transactions.map(\.receipt)
        let autoRecharge = try known ?? SQLiteBillingStore.autoRecharge(account.tenantId, db)
        let events = CreditAlerts.balanceEvents(openingBalanceMinor: opening, transactions: receipts, autoRecharge: autoRecharge)
        for event in events {
            let receipt = receipts.first { $0.transactionId == event.transactionId }!
            try note(
                event,
                of: account.tenantId,
                currency: account.currency,
                balanceMinor: receipt.balanceAfterMinor,
                at: receipt.occurredAt,
                db
            )
        }
    }

    static let columns = """
        n.id, n.tenant_id, n.kind, n.occurred_at, n.currency, n.balance_minor, n.reference, n.amount_minor, n.quantity, n.detail, n.due_at
        """

    /// `columns` from position `first` on.
    static func notification(_ row: Row, from first: Int = 0) -> CreditNotification {
        let facts = StoredEvent(
            reference: row[first + 6],
            amountMinor: row[first + 7],
            quantity: row[first + 8],
            detail: row[first + 9],
            dueAt: row[first + 10]
        )
        let event = facts.event(CreditEvent.Kind(rawValue: row[first + 2])!)
        return CreditNotification(
            id: row[first],
            tenantId: TenantId(row[first + 1]),
            event: event,
            occurredAt: Instant(millisecondsSinceEpoch: row[first + 3]),
            currency: Currency(code: row[first + 4])!,
            balanceMinor: row[first + 5]
        )
    }

    static let deliveryColumns = "d.id, d.channel, d.address, d.state, d.attempts, d.last_error, d.finished_at"

    /// `deliveryColumns`, then `columns`.
    static func delivery(_ row: Row) -> NotificationDelivery {
        NotificationDelivery(
            id: row[0],
            notification: notification(row, from: 7),
            recipient: NotificationRecipient(channel: row[1], address: row[2])!,
            state: NotificationDelivery.State(rawValue: row[3])!,
            attempts: row[4],
            lastError: row[5],
            finishedAt: (row[6] as Int64?).map(Instant.init(millisecondsSinceEpoch:))
        )
    }
}
