import CreditsCore
import GRDB

/// Writing notifications into the outbox inside the caller's transaction, and reading them back.
enum NotificationRows {
    /// Keeps the event unless the tenant already has one under its key.
    static func note(_ event: CreditEvent, of tenantId: TenantId, currency: Currency, balanceMinor: Int64, at now: Instant,
                     _ db: Database) throws {
        let facts = facts(of: event)
        try db.cachedStatement(sql: """
            INSERT INTO notification (tenant_id, event_key, kind, occurred_at, currency, balance_minor, reference, amount_minor,
                quantity, detail, due_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant_id, event_key) DO NOTHING
            """).execute(arguments: [
            tenantId.rawValue, event.key, event.kind.rawValue, now.millisecondsSinceEpoch, currency.code, balanceMinor,
            facts.reference, facts.amountMinor, facts.quantity, facts.detail, facts.dueAt,
        ])
    }

    /// Notes `event` with the tenant's balance as of `now`, read from its lots.
    static func note(_ event: CreditEvent, of tenantId: TenantId, at now: Instant, _ db: Database) throws {
        guard let account = try Row.fetchOne(db.cachedStatement(sql: "SELECT currency, debt_minor FROM credit_account WHERE tenant_id = ?"),
                                             arguments: [tenantId.rawValue])
        else { return }
        let lots = try LedgerRows.lots(db, where: "tenant_id = ? AND (free_minor > 0 OR held_minor > 0)", arguments: [tenantId.rawValue])
        let figures = CreditFigures(lots: lots, debtMinor: account[1], at: now)
        try note(event, of: tenantId, currency: Currency(code: account[0])!, balanceMinor: figures.balanceMinor, at: now, db)
    }

    /// The balance alerts of a ledger write (`CreditAlerts.balanceEvents`).
    static func noteBalanceAlerts(of changes: LedgerChanges, account: CreditAccount, _ db: Database) throws {
        guard let opening = changes.openingBalanceMinor, let last = changes.transactions.last?.receipt,
              last.balanceAfterMinor < opening || changes.transactions.count > 1
        else { return }
        let receipts = changes.transactions.map(\.receipt)
        let events = CreditAlerts.balanceEvents(openingBalanceMinor: opening, transactions: receipts,
                                                autoRecharge: try SQLiteBillingStore.autoRecharge(account.tenantId, db))
        for event in events {
            let receipt = receipts.first { $0.transactionId == event.transactionId }!
            try note(event, of: account.tenantId, currency: account.currency, balanceMinor: receipt.balanceAfterMinor,
                     at: receipt.occurredAt, db)
        }
    }

    private struct Facts {
        var reference: String
        var amountMinor: Int64?
        var quantity: Int64?
        var detail: String?
        var dueAt: Int64?
    }

    private static func facts(of event: CreditEvent) -> Facts {
        switch event {
        case let .rechargeSucceeded(id, amount), let .rechargeStopped(id, amount):
            Facts(reference: String(id), amountMinor: amount)
        case let .rechargeFailed(id, amount, reason):
            Facts(reference: String(id), amountMinor: amount, detail: reason.rawValue)
        case let .balanceExhausted(transaction):
            Facts(reference: transaction.description)
        case let .balanceBelowTrigger(transaction, trigger):
            Facts(reference: transaction.description, amountMinor: trigger)
        case let .lotExpiring(lot, remaining, expiresAt, days):
            Facts(reference: lot.description, amountMinor: remaining, quantity: days, dueAt: expiresAt.millisecondsSinceEpoch)
        case let .conferencingPoolUsed(month, percent):
            Facts(reference: month.description, quantity: percent)
        case let .postUsageInvoiceIssued(invoice, amount, month):
            Facts(reference: String(invoice), amountMinor: amount, detail: month.description)
        }
    }

    static let columns = """
        n.id, n.tenant_id, n.kind, n.occurred_at, n.currency, n.balance_minor, n.reference, n.amount_minor, n.quantity, n.detail, n.due_at
        """

    /// `columns` from position `first` on.
    static func notification(_ row: Row, from first: Int = 0) -> CreditNotification {
        let reference: String = row[first + 6]
        let amount: Int64? = row[first + 7], quantity: Int64? = row[first + 8], detail: String? = row[first + 9]
        let dueAt: Int64? = row[first + 10]
        let event: CreditEvent = switch CreditEvent.Kind(rawValue: row[first + 2])! {
        case .rechargeSucceeded: .rechargeSucceeded(rechargeId: Int64(reference)!, amountMinor: amount!)
        case .rechargeFailed: .rechargeFailed(rechargeId: Int64(reference)!, amountMinor: amount!, reason: PaymentFailureReason(rawValue: detail!)!)
        case .rechargeStopped: .rechargeStopped(rechargeId: Int64(reference)!, amountMinor: amount!)
        case .balanceExhausted: .balanceExhausted(transactionId: TransactionId(Int64(reference)!))
        case .balanceBelowTrigger: .balanceBelowTrigger(transactionId: TransactionId(Int64(reference)!), triggerMinor: amount!)
        case .lotExpiring: .lotExpiring(lotId: LotId(Int64(reference)!), remainingMinor: amount!,
                                        expiresAt: Instant(millisecondsSinceEpoch: dueAt!), daysAhead: quantity!)
        case .conferencingPoolUsed: .conferencingPoolUsed(month: CalendarMonth(reference)!, percent: quantity!)
        case .postUsageInvoiceIssued: .postUsageInvoiceIssued(invoiceId: Int64(reference)!, amountMinor: amount!, month: CalendarMonth(detail!)!)
        }
        return CreditNotification(id: row[first], tenantId: TenantId(row[first + 1]), event: event,
                                  occurredAt: Instant(millisecondsSinceEpoch: row[first + 3]), currency: Currency(code: row[first + 4])!,
                                  balanceMinor: row[first + 5])
    }

    static let deliveryColumns = "d.id, d.channel, d.address, d.state, d.attempts, d.last_error, d.finished_at"

    /// `deliveryColumns`, then `columns`.
    static func delivery(_ row: Row) -> NotificationDelivery {
        NotificationDelivery(id: row[0], notification: notification(row, from: 7),
                             recipient: NotificationRecipient(channel: row[1], address: row[2])!, state: NotificationDelivery.State(rawValue: row[3])!,
                             attempts: row[4], lastError: row[5], finishedAt: (row[6] as Int64?).map(Instant.init(millisecondsSinceEpoch:)))
    }
}

extension CreditEvent {
    /// The ledger transaction a balance alert is about.
    var transactionId: TransactionId? {
        switch self {
        case let .balanceExhausted(id), let .balanceBelowTrigger(id, _): id
        default: nil
        }
    }
}
