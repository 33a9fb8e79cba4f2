public import CreditsCore
public import CreditsStore
import GRDB

/// Billing settings, purchases, recharges and invoices in the shared SQLite file.
public final class SQLiteBillingStore: BillingStore {
    let database: DatabasePool

    init(database: DatabasePool) {
        self.database = database
    }

    public func settings(for tenantId: TenantId) async throws -> BillingSettings {
        try await database.read { db in try Self.settings(tenantId, db) }
    }

    public func saveAutoRecharge(_ settings: AutoRechargeSettings, for tenantId: TenantId, at now: Instant) async throws {
        try await database.write { db in try Self.saveAutoRecharge(settings, tenantId, now, db) }
    }

    public func savePaymentMethod(_ method: PaymentMethod, for tenantId: TenantId, at now: Instant) async throws {
        try await database.write { db in try Self.savePaymentMethod(method, tenantId, now, db) }
    }

    public func beginPurchase(_ purchase: NewPurchase) async throws -> PurchaseRecord {
        try await database.write { db in
            if let existing = try Row.fetchOne(
                db,
                sql: "SELECT * FROM purchase WHERE tenant_id = ? AND idempotency_key = ?",
                arguments: [purchase.tenantId.rawValue, purchase.idempotencyKey.rawValue]
            ) {
                return Self.purchase(existing)
            }
            try db.execute(
                sql: """
                    INSERT INTO purchase (tenant_id, idempotency_key, fingerprint, amount_minor, payment_method, auto_recharge, created_at, state)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')
                    """,
                arguments: [
                    purchase.tenantId.rawValue, purchase.idempotencyKey.rawValue, purchase.fingerprint, purchase.amountMinor,
                    StoredValues.json(purchase.paymentMethod), StoredValues.text(purchase.autoRecharge),
                    purchase.createdAt.millisecondsSinceEpoch,
                ]
            )
            return try Self.purchase(id: db.lastInsertedRowID, db)
        }
    }

    public func completePurchase(id: Int64, lotId: LotId, currency: Currency, at now: Instant) async throws -> PurchaseRecord {
        try await database.write { db in
            var purchase = try Self.purchase(id: id, db)
            guard purchase.state == .pending else { return purchase }
            let invoice = try Self.issueInvoice(
                .purchase,
                sourceId: id,
                tenantId: purchase.request.tenantId,
                amountMinor: purchase.request.amountMinor,
                currency: currency,
                paymentMethod: purchase.request.paymentMethod,
                lotId: lotId,
                at: now,
                db
            )
            try db.execute(
                sql: "UPDATE purchase SET state = 'completed', lot_id = ?, invoice_id = ? WHERE id = ?",
                arguments: [lotId.rawValue, invoice, id]
            )
            try Self.savePaymentMethod(purchase.request.paymentMethod, purchase.request.tenantId, now, db)
            if let autoRecharge = purchase.request.autoRecharge { try Self.saveAutoRecharge(autoRecharge, purchase.request.tenantId, now, db) }
            (purchase.state, purchase.lotId, purchase.invoiceId) = (.completed, lotId, invoice)
            return purchase
        }
    }

    public func failPurchase(id: Int64, reason: PaymentFailureReason) async throws -> PurchaseRecord {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE purchase SET state = 'failed', failure = ? WHERE id = ? AND state = 'pending'",
                arguments: [reason.rawValue, id]
            )
            return try Self.purchase(id: id, db)
        }
    }

    public func purchase(for tenantId: TenantId, key: IdempotencyKey) async throws -> PurchaseRecord? {
        try await database.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM purchase WHERE tenant_id = ? AND idempotency_key = ?",
                arguments: [tenantId.rawValue, key.rawValue]
            ).map(Self.purchase)
        }
    }

    public func pendingPurchases(before: Instant) async throws -> [PurchaseRecord] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM purchase WHERE state = 'pending' AND created_at < ? ORDER BY id",
                arguments: [before.millisecondsSinceEpoch]
            ).map(Self.purchase)
        }
    }

    public func startRecharge(
        for tenantId: TenantId,
        at now: Instant
    ) async throws
        -> (decision: RechargePolicy.Decision, recharge: RechargeRecord?)
    {
        let judgement = try await database.write { db in try Self.judgeRecharge(of: tenantId, at: now, db) }
        return (judgement.decision, judgement.recharge)
    }

    /// Judges auto-recharge on the balance as this transaction finds it, and records the
    /// recharge it starts (or the burst stop); the call store runs it in the transaction of the
    /// charge that called for it.
    static func judgeRecharge(of tenantId: TenantId, at now: Instant, _ db: Database) throws -> RechargePolicy.Judgement {
        let settings = try Self.settings(tenantId, db)
        let history = try Self.history(tenantId, now, db)
        guard let balance = try LedgerRows.balance(of: tenantId, at: now, db) else {
            return RechargePolicy.Judgement(decision: .notNeeded, recharge: nil)
        }
        let decision = RechargePolicy.decide(
            settings: settings.autoRecharge,
            balanceMinor: balance.balanceMinor,
            history: history,
            monthlyCapMinor: try SQLiteCallStore.controls(tenantId, db).monthlyRechargeCapMinor,
            at: now
        )
        switch decision {
        case let .start(amountMinor):
            try db.execute(
                sql: """
                    INSERT INTO recharge (tenant_id, amount_minor, payment_method, started_at, state) VALUES (?, ?, ?, ?, 'pending')
                    """,
                arguments: [
                    tenantId.rawValue, amountMinor, settings.paymentMethod.map(StoredValues.json),
                    now.millisecondsSinceEpoch,
                ]
            )
            return RechargePolicy.Judgement(decision: decision, recharge: try Self.recharge(id: db.lastInsertedRowID, db))
        case .burstStopped:
            // Alerted once per burst: a stop already recorded within the window stands for this one.
            let windowStart = now.adding(seconds: -RechargePolicy.burstWindowSeconds).millisecondsSinceEpoch
            let alreadyStopped =
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT 1 FROM recharge WHERE tenant_id = ? AND state = 'stopped' AND started_at > ?
                        """,
                    arguments: [tenantId.rawValue, windowStart]
                ) != nil
            guard !alreadyStopped else { return RechargePolicy.Judgement(decision: decision, recharge: nil) }
            try db.execute(
                sql: """
                    INSERT INTO recharge (tenant_id, amount_minor, payment_method, started_at, state, finished_at)
                    VALUES (?, ?, ?, ?, 'stopped', ?)
                    """,
                arguments: [
                    tenantId.rawValue, settings.autoRecharge.rechargeAmountMinor,
                    settings.paymentMethod.map(StoredValues.json), now.millisecondsSinceEpoch, now.millisecondsSinceEpoch,
                ]
            )
            let stopped = try Self.recharge(id: db.lastInsertedRowID, db)
            try NotificationRows.note(.rechargeStopped(rechargeId: stopped.id, amountMinor: stopped.amountMinor), of: tenantId, at: now, db)
            return RechargePolicy.Judgement(decision: decision, recharge: stopped)
        case let .capReached(cap):
            // Told once a month: the event's key names the month.
            try NotificationRows.note(.rechargeCapReached(month: CalendarMonth(of: now), capMinor: cap), of: tenantId, at: now, db)
            return RechargePolicy.Judgement(decision: decision, recharge: nil)
        case .notNeeded, .alreadyInFlight, .backingOff:
            return RechargePolicy.Judgement(decision: decision, recharge: nil)
        }
    }

    public func completeRecharge(id: Int64, lotId: LotId, currency: Currency, at now: Instant) async throws -> RechargeRecord {
        try await database.write { db in
            var recharge = try Self.recharge(id: id, db)
            guard recharge.state == .pending, let method = recharge.paymentMethod else { return recharge }
            let invoice = try Self.issueInvoice(
                .recharge,
                sourceId: id,
                tenantId: recharge.tenantId,
                amountMinor: recharge.amountMinor,
                currency: currency,
                paymentMethod: method,
                lotId: lotId,
                at: now,
                db
            )
            try db.execute(
                sql: "UPDATE recharge SET state = 'succeeded', finished_at = ?, lot_id = ?, invoice_id = ? WHERE id = ?",
                arguments: [now.millisecondsSinceEpoch, lotId.rawValue, invoice, id]
            )
            (recharge.state, recharge.finishedAt, recharge.lotId, recharge.invoiceId) = (.succeeded, now, lotId, invoice)
            try NotificationRows.note(.rechargeSucceeded(rechargeId: id, amountMinor: recharge.amountMinor), of: recharge.tenantId, at: now, db)
            return recharge
        }
    }

    public func failRecharge(id: Int64, reason: PaymentFailureReason, at now: Instant) async throws -> RechargeRecord {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE recharge SET state = 'failed', failure = ?, finished_at = ? WHERE id = ? AND state = 'pending'",
                arguments: [reason.rawValue, now.millisecondsSinceEpoch, id]
            )
            let recharge = try Self.recharge(id: id, db)
            if db.changesCount > 0 {
                try NotificationRows.note(
                    .rechargeFailed(rechargeId: id, amountMinor: recharge.amountMinor, reason: reason),
                    of: recharge.tenantId,
                    at: now,
                    db
                )
            }
            return recharge
        }
    }

    public func pendingRecharges() async throws -> [RechargeRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM recharge WHERE state = 'pending' ORDER BY id").map(Self.recharge)
        }
    }

    public func recharges(for tenantId: TenantId, limit: Int) async throws -> [RechargeRecord] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM recharge WHERE tenant_id = ? ORDER BY id DESC LIMIT ?",
                arguments: [tenantId.rawValue, limit]
            ).map(Self.recharge)
        }
    }

    public func invoices(for tenantId: TenantId, before: Int64?, limit: Int) async throws -> [Invoice] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM invoice WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                arguments: [tenantId.rawValue, before ?? Int64.max, limit]
            ).map(Self.invoice)
        }
    }

    public func invoice(_ id: Int64, for tenantId: TenantId) async throws -> Invoice? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM invoice WHERE tenant_id = ? AND id = ?", arguments: [tenantId.rawValue, id]).map(Self.invoice)
        }
    }

    // MARK: - Rows

    /// The auto-recharge settings alone: what every call reads.
    static func autoRecharge(_ tenantId: TenantId, _ db: Database) throws -> AutoRechargeSettings {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT auto_recharge_enabled, recharge_amount_minor, trigger_amount_minor FROM billing_settings WHERE tenant_id = ?"
                ),
                arguments: [tenantId.rawValue]
            )
        else { return .off }
        return AutoRechargeSettings(unchecked: row[0], rechargeAmountMinor: row[1], triggerAmountMinor: row[2])
    }

    private static func settings(_ tenantId: TenantId, _ db: Database) throws -> BillingSettings {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM billing_settings WHERE tenant_id = ?", arguments: [tenantId.rawValue]) else {
            return .none
        }
        return BillingSettings(
            paymentMethod: (row["payment_method"] as String?).map(StoredValues.paymentMethod),
            autoRecharge: AutoRechargeSettings(
                unchecked: row["auto_recharge_enabled"],
                rechargeAmountMinor: row["recharge_amount_minor"],
                triggerAmountMinor: row["trigger_amount_minor"]
            )
        )
    }

    private static func saveAutoRecharge(_ settings: AutoRechargeSettings, _ tenantId: TenantId, _ now: Instant, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO billing_settings (tenant_id, auto_recharge_enabled, recharge_amount_minor, trigger_amount_minor, updated_at)
                VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (tenant_id) DO UPDATE SET auto_recharge_enabled = ?2, recharge_amount_minor = ?3, trigger_amount_minor = ?4, updated_at = ?5
                """,
            arguments: [
                tenantId.rawValue, settings.enabled, settings.rechargeAmountMinor, settings.triggerAmountMinor,
                now.millisecondsSinceEpoch,
            ]
        )
    }

    private static func savePaymentMethod(_ method: PaymentMethod, _ tenantId: TenantId, _ now: Instant, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO billing_settings (tenant_id, payment_method, auto_recharge_enabled, recharge_amount_minor, trigger_amount_minor, updated_at)
                VALUES (?1, ?2, 0, 0, 0, ?3)
                ON CONFLICT (tenant_id) DO UPDATE SET payment_method = ?2, updated_at = ?3
                """,
            arguments: [tenantId.rawValue, StoredValues.json(method), now.millisecondsSinceEpoch]
        )
    }

    public func rechargeHistory(for tenantId: TenantId, at now: Instant) async throws -> RechargeHistory {
        try await database.read { db in try Self.history(tenantId, now, db) }
    }

    private static func history(_ tenantId: TenantId, _ now: Instant, _ db: Database) throws -> RechargeHistory {
        let windowStart = now.adding(seconds: -RechargePolicy.burstWindowSeconds).millisecondsSinceEpoch
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT
                    EXISTS (SELECT 1 FROM recharge WHERE tenant_id = ?1 AND state = 'pending') AS in_flight,
                    (SELECT MAX(finished_at) FROM recharge WHERE tenant_id = ?1 AND state = 'failed') AS last_failure,
                    (SELECT COUNT(*) FROM recharge WHERE tenant_id = ?1 AND state != 'stopped' AND started_at > ?2) AS recent,
                    (SELECT COALESCE(SUM(amount_minor), 0) FROM recharge WHERE tenant_id = ?1 AND state IN ('pending', 'succeeded') AND started_at >= ?3)
                        AS this_month
                """,
            arguments: [tenantId.rawValue, windowStart, CalendarMonth(of: now).start.millisecondsSinceEpoch]
        )!
        return RechargeHistory(
            inFlight: row["in_flight"],
            lastFailureAt: (row["last_failure"] as Int64?).map(Instant.init(millisecondsSinceEpoch:)),
            recentStarts: row["recent"],
            rechargedThisMonthMinor: row["this_month"]
        )
    }

    private static func issueInvoice(
        _ kind: Invoice.Kind,
        sourceId: Int64,
        tenantId: TenantId,
        amountMinor: Int64,
        currency: Currency,
        paymentMethod: PaymentMethod,
        lotId: LotId,
        at now: Instant,
        _ db: Database
    ) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO invoice (tenant_id, kind, source_id, issued_at, amount_minor, currency, payment_method, lot_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                tenantId.rawValue, kind.rawValue, sourceId, now.millisecondsSinceEpoch, amountMinor, currency.code,
                StoredValues.json(paymentMethod), lotId.rawValue,
            ]
        )
        return db.lastInsertedRowID
    }

    private static func purchase(id: Int64, _ db: Database) throws -> PurchaseRecord {
        try purchase(Row.fetchOne(db, sql: "SELECT * FROM purchase WHERE id = ?", arguments: [id])!)
    }

    private static func recharge(id: Int64, _ db: Database) throws -> RechargeRecord {
        try recharge(Row.fetchOne(db, sql: "SELECT * FROM recharge WHERE id = ?", arguments: [id])!)
    }

    private static func purchase(_ row: Row) -> PurchaseRecord {
        PurchaseRecord(
            id: row["id"],
            request: NewPurchase(
                tenantId: TenantId(row["tenant_id"]),
                idempotencyKey: IdempotencyKey(stored: row["idempotency_key"]),
                fingerprint: row["fingerprint"],
                amountMinor: row["amount_minor"],
                paymentMethod: StoredValues.paymentMethod(row["payment_method"]),
                autoRecharge: StoredValues.autoRecharge(row["auto_recharge"]),
                createdAt: Instant(millisecondsSinceEpoch: row["created_at"])
            ),
            state: PurchaseRecord.State(rawValue: row["state"])!,
            failure: (row["failure"] as String?).flatMap(PaymentFailureReason.init(rawValue:)),
            lotId: (row["lot_id"] as Int64?).map(LotId.init),
            invoiceId: row["invoice_id"]
        )
    }

    private static func recharge(_ row: Row) -> RechargeRecord {
        RechargeRecord(
            id: row["id"],
            tenantId: TenantId(row["tenant_id"]),
            amountMinor: row["amount_minor"],
            paymentMethod: (row["payment_method"] as String?).map(StoredValues.paymentMethod),
            startedAt: Instant(millisecondsSinceEpoch: row["started_at"]),
            state: RechargeRecord.State(rawValue: row["state"])!,
            failure: (row["failure"] as String?).flatMap(PaymentFailureReason.init(rawValue:)),
            finishedAt: (row["finished_at"] as Int64?).map(Instant.init(millisecondsSinceEpoch:)),
            lotId: (row["lot_id"] as Int64?).map(LotId.init),
            invoiceId: row["invoice_id"]
        )
    }

    private static func invoice(_ row: Row) -> Invoice {
        Invoice(
            id: row["id"],
            tenantId: TenantId(row["tenant_id"]),
            kind: Invoice.Kind(rawValue: row["kind"])!,
            issuedAt: Instant(millisecondsSinceEpoch: row["issued_at"]),
            amountMinor: row["amount_minor"],
            currency: Currency(code: row["currency"])!,
            paymentMethod: StoredValues.paymentMethod(row["payment_method"]),
            lotId: LotId(row["lot_id"])
        )
    }
}
