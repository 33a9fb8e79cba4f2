public import CreditsCore
public import CreditsStore
import Logging
import PostgresNIO

/// Billing settings, purchases, recharges and invoices in PostgreSQL. Each step of a purchase
/// or a recharge locks the row it moves on, so that two instances finishing the same one
/// finish it once.
public final class PostgresBillingStore: BillingStore {
    let database: PostgresDatabase

    init(database: PostgresDatabase) {
        self.database = database
    }

    public func settings(for tenantId: TenantId) async throws -> BillingSettings {
        try await database.read { c in try await BillingRows.settings(tenantId, c) }
    }

    public func saveAutoRecharge(_ settings: AutoRechargeSettings, for tenantId: TenantId, at now: Instant) async throws {
        try await database.transaction { c in try await BillingRows.saveAutoRecharge(settings, tenantId, now, c) }
    }

    public func savePaymentMethod(_ method: PaymentMethod, for tenantId: TenantId, at now: Instant) async throws {
        try await database.transaction { c in try await BillingRows.savePaymentMethod(method, tenantId, now, c) }
    }

    public func beginPurchase(_ purchase: NewPurchase) async throws -> PurchaseRecord {
        try await database.transaction { c in
            let autoRecharge = StoredValues.text(purchase.autoRecharge)
            try await c.run(
                """
                INSERT INTO purchase (tenant_id, idempotency_key, fingerprint, amount_minor, payment_method, auto_recharge, created_at, state)
                VALUES (\(purchase.tenantId.rawValue), \(purchase.idempotencyKey.rawValue), \(purchase.fingerprint), \(purchase.amountMinor),
                        \(StoredValues.json(purchase.paymentMethod)), \(autoRecharge), \(purchase.createdAt.millisecondsSinceEpoch), 'pending')
                ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
                """
            )
            return try await c.records(
                """
                SELECT \(unescaped: BillingRows.purchaseColumns) FROM purchase
                WHERE tenant_id = \(purchase.tenantId.rawValue) AND idempotency_key = \(purchase.idempotencyKey.rawValue)
                """,
                BillingRows.purchase
            )[0]
        }
    }

    public func completePurchase(id: Int64, lotId: LotId, currency: Currency, at now: Instant) async throws -> PurchaseRecord {
        try await database.transaction { c in
            var purchase = try await Self.purchase(id: id, locking: true, c)
            guard purchase.state == .pending else { return purchase }
            let request = purchase.request
            let invoice = try await BillingRows.issueInvoice(
                .purchase,
                sourceId: id,
                tenantId: request.tenantId,
                amountMinor: request.amountMinor,
                currency: currency,
                paymentMethod: request.paymentMethod,
                lotId: lotId,
                at: now,
                c
            )
            try await c.run(
                "UPDATE purchase SET state = 'completed', lot_id = \(lotId.rawValue), invoice_id = \(invoice) WHERE id = \(id)"
            )
            try await BillingRows.savePaymentMethod(request.paymentMethod, request.tenantId, now, c)
            if let autoRecharge = request.autoRecharge { try await BillingRows.saveAutoRecharge(autoRecharge, request.tenantId, now, c) }
            (purchase.state, purchase.lotId, purchase.invoiceId) = (.completed, lotId, invoice)
            return purchase
        }
    }

    public func failPurchase(id: Int64, reason: PaymentFailureReason) async throws -> PurchaseRecord {
        try await database.transaction { c in
            try await c.run(
                "UPDATE purchase SET state = 'failed', failure = \(reason.rawValue) WHERE id = \(id) AND state = 'pending'"
            )
            return try await Self.purchase(id: id, locking: false, c)
        }
    }

    public func purchase(for tenantId: TenantId, key: IdempotencyKey) async throws -> PurchaseRecord? {
        try await database.read { c in
            try await c.records(
                """
                SELECT \(unescaped: BillingRows.purchaseColumns) FROM purchase WHERE tenant_id = \(tenantId.rawValue) AND idempotency_key = \(key.rawValue)
                """,
                BillingRows.purchase
            ).first
        }
    }

    public func pendingPurchases(before: Instant) async throws -> [PurchaseRecord] {
        try await database.read { c in
            try await c.records(
                """
                SELECT \(unescaped: BillingRows.purchaseColumns) FROM purchase WHERE state = 'pending' AND created_at < \(before.millisecondsSinceEpoch) ORDER BY id
                """,
                BillingRows.purchase
            )
        }
    }

    public func startRecharge(for tenantId: TenantId, at now: Instant) async throws -> (decision: RechargePolicy.Decision, recharge: RechargeRecord?)
    {
        let judgement = try await database.transaction { c in try await Self.judgeRecharge(of: tenantId, at: now, c) }
        return (judgement.decision, judgement.recharge)
    }

    /// Judges auto-recharge on the balance as this transaction finds it, and records the
    /// recharge it starts (or the burst stop); the call store runs it in the transaction of the
    /// charge that called for it.
    static func judgeRecharge(
        of tenantId: TenantId,
        at now: Instant,
        _ c: PostgresSession
    ) async throws
        -> RechargePolicy.Judgement
    {
        // The account's lock first, as every ledger write takes it: the balance cannot move
        // while the decision is made, and two instances decide one after the other.
        guard let balance = try await LedgerRows.balance(of: tenantId, at: now, locking: true, c) else {
            return RechargePolicy.Judgement(decision: .notNeeded, recharge: nil)
        }
        let settings = try await BillingRows.settings(tenantId, c)
        let history = try await BillingRows.history(tenantId, now, c)
        let decision = RechargePolicy.decide(
            settings: settings.autoRecharge,
            balanceMinor: balance.balanceMinor,
            history: history,
            monthlyCapMinor: try await PostgresCallStore.controls(tenantId, c).monthlyRechargeCapMinor,
            at: now
        )
        let method = settings.paymentMethod.map(StoredValues.json)
        switch decision {
        case let .start(amountMinor):
            let recharge = try await c.records(
                """
                INSERT INTO recharge (tenant_id, amount_minor, payment_method, started_at, state)
                VALUES (\(tenantId.rawValue), \(amountMinor), \(method), \(now.millisecondsSinceEpoch), 'pending')
                RETURNING \(unescaped: BillingRows.rechargeColumns)
                """,
                BillingRows.recharge
            )[0]
            return RechargePolicy.Judgement(decision: decision, recharge: recharge)
        case .burstStopped:
            // Alerted once per burst: a stop already recorded within the window stands for this one.
            let windowStart = now.adding(seconds: -RechargePolicy.burstWindowSeconds).millisecondsSinceEpoch
            let alreadyStopped =
                try await c.run(
                    """
                    SELECT 1 FROM recharge WHERE tenant_id = \(tenantId.rawValue) AND state = 'stopped' AND started_at > \(windowStart) LIMIT 1
                    """
                ) > 0
            guard !alreadyStopped else { return RechargePolicy.Judgement(decision: decision, recharge: nil) }
            let stopped = try await c.records(
                """
                INSERT INTO recharge (tenant_id, amount_minor, payment_method, started_at, state, finished_at)
                VALUES (\(tenantId.rawValue), \(settings.autoRecharge.rechargeAmountMinor), \(method), \(now.millisecondsSinceEpoch), 'stopped',
                        \(now.millisecondsSinceEpoch))
                RETURNING \(unescaped: BillingRows.rechargeColumns)
                """,
                BillingRows.recharge
            )[0]
            try await NotificationRows.note(
                .rechargeStopped(rechargeId: stopped.id, amountMinor: stopped.amountMinor),
                of: tenantId,
                at: now,
                c
            )
            return RechargePolicy.Judgement(decision: decision, recharge: stopped)
        case let .capReached(cap):
            // Told once a month: the event's key names the month.
            _ = try await NotificationRows.note(.rechargeCapReached(month: CalendarMonth(of: now), capMinor: cap), of: tenantId, at: now, c)
            return RechargePolicy.Judgement(decision: decision, recharge: nil)
        case .notNeeded, .alreadyInFlight, .backingOff:
            return RechargePolicy.Judgement(decision: decision, recharge: nil)
        }
    }

    public func rechargeHistory(for tenantId: TenantId, at now: Instant) async throws -> RechargeHistory {
        try await database.read { c in try await BillingRows.history(tenantId, now, c) }
    }

    public func completeRecharge(id: Int64, lotId: LotId, currency: Currency, at now: Instant) async throws -> RechargeRecord {
        try await database.transaction { c in
            var recharge = try await Self.recharge(id: id, locking: true, c)
            guard recharge.state == .pending, let method = recharge.paymentMethod else { return recharge }
            let invoice = try await BillingRows.issueInvoice(
                .recharge,
                sourceId: id,
                tenantId: recharge.tenantId,
                amountMinor: recharge.amountMinor,
                currency: currency,
                paymentMethod: method,
                lotId: lotId,
                at: now,
                c
            )
            try await c.run(
                """
                UPDATE recharge SET state = 'succeeded', finished_at = \(now.millisecondsSinceEpoch), lot_id = \(lotId.rawValue), invoice_id = \(invoice)
                WHERE id = \(id)
                """
            )
            (recharge.state, recharge.finishedAt, recharge.lotId, recharge.invoiceId) = (.succeeded, now, lotId, invoice)
            try await NotificationRows.note(
                .rechargeSucceeded(rechargeId: id, amountMinor: recharge.amountMinor),
                of: recharge.tenantId,
                at: now,
                c
            )
            return recharge
        }
    }

    public func failRecharge(id: Int64, reason: PaymentFailureReason, at now: Instant) async throws -> RechargeRecord {
        try await database.transaction { c in
            let failed =
                try await c.run(
                    """
                    UPDATE recharge SET state = 'failed', failure = \(reason.rawValue), finished_at = \(now.millisecondsSinceEpoch)
                    WHERE id = \(id) AND state = 'pending' RETURNING id
                    """
                ) > 0
            let recharge = try await Self.recharge(id: id, locking: false, c)
            if failed {
                try await NotificationRows.note(
                    .rechargeFailed(rechargeId: id, amountMinor: recharge.amountMinor, reason: reason),
                    of: recharge.tenantId,
                    at: now,
                    c
                )
            }
            return recharge
        }
    }

    public func pendingRecharges() async throws -> [RechargeRecord] {
        try await database.read { c in
            try await c.records(
                "SELECT \(unescaped: BillingRows.rechargeColumns) FROM recharge WHERE state = 'pending' ORDER BY id",
                BillingRows.recharge
            )
        }
    }

    public func recharges(for tenantId: TenantId, limit: Int) async throws -> [RechargeRecord] {
        try await database.read { c in
            try await c.records(
                """
                SELECT \(unescaped: BillingRows.rechargeColumns) FROM recharge WHERE tenant_id = \(tenantId.rawValue) ORDER BY id DESC LIMIT \(Int64(limit))
                """,
                BillingRows.recharge
            )
        }
    }

    public func invoices(for tenantId: TenantId, before: Int64?, limit: Int) async throws -> [Invoice] {
        try await database.read { c in
            try await c.records(
                """
                SELECT \(unescaped: BillingRows.invoiceColumns) FROM invoice WHERE tenant_id = \(tenantId.rawValue) AND id < \(before ?? Int64.max)
                ORDER BY id DESC LIMIT \(Int64(limit))
                """,
                BillingRows.invoice
            )
        }
    }

    public func invoice(_ id: Int64, for tenantId: TenantId) async throws -> Invoice? {
        try await database.read { c in
            try await c.records(
                "SELECT \(unescaped: BillingRows.invoiceColumns) FROM invoice WHERE tenant_id = \(tenantId.rawValue) AND id = \(id)",
                BillingRows.invoice
            ).first
        }
    }

    private static func purchase(id: Int64, locking: Bool, _ c: PostgresSession) async throws -> PurchaseRecord {
        try await c.records(
            """
            SELECT \(unescaped: BillingRows.purchaseColumns) FROM purchase WHERE id = \(id) \(unescaped: locking ? "FOR UPDATE" : "")
            """,
            BillingRows.purchase
        )[0]
    }

    private static func recharge(id: Int64, locking: Bool, _ c: PostgresSession) async throws -> RechargeRecord {
        try await c.records(
            """
            SELECT \(unescaped: BillingRows.rechargeColumns) FROM recharge WHERE id = \(id) \(unescaped: locking ? "FOR UPDATE" : "")
            """,
            BillingRows.recharge
        )[0]
    }
}
