import CreditsCore
import CreditsStore
import Logging
import PostgresNIO

/// Billing settings, purchases, recharges and invoices; every function runs inside the caller's transaction.
enum BillingRows {
    /// The auto-recharge settings alone: what every call reads.
    static func autoRecharge(_ tenantId: TenantId, _ c: PostgresSession) async throws -> AutoRechargeSettings {
        guard
            let (enabled, recharge, trigger) = try await c.row(
                """
                SELECT auto_recharge_enabled, recharge_amount_minor, trigger_amount_minor FROM billing_settings WHERE tenant_id = \(tenantId.rawValue)
                """,
                as: (Int64, Int64, Int64).self
            )
        else { return .off }
        return AutoRechargeSettings(unchecked: enabled != 0, rechargeAmountMinor: recharge, triggerAmountMinor: trigger)
    }

    static func settings(_ tenantId: TenantId, _ c: PostgresSession) async throws -> BillingSettings {
        guard
            let (method, enabled, recharge, trigger) = try await c.row(
                """
                SELECT payment_method, auto_recharge_enabled, recharge_amount_minor, trigger_amount_minor FROM billing_settings WHERE tenant_id = \(tenantId.rawValue)
                """,
                as: (String?, Int64, Int64, Int64).self
            )
        else { return .none }
        return BillingSettings(
            paymentMethod: method.map(StoredValues.paymentMethod),
            autoRecharge: AutoRechargeSettings(unchecked: enabled != 0, rechargeAmountMinor: recharge, triggerAmountMinor: trigger)
        )
    }

    static func saveAutoRecharge(
        _ settings: AutoRechargeSettings,
        _ tenantId: TenantId,
        _ now: Instant,
        _ c: PostgresSession
    ) async throws {
        let enabled: Int64 = settings.enabled ? 1 : 0
        try await c.run(
            """
            INSERT INTO billing_settings (tenant_id, auto_recharge_enabled, recharge_amount_minor, trigger_amount_minor, updated_at)
            VALUES (\(tenantId.rawValue), \(enabled), \(settings.rechargeAmountMinor), \(settings.triggerAmountMinor), \(now.millisecondsSinceEpoch))
            ON CONFLICT (tenant_id) DO UPDATE SET auto_recharge_enabled = excluded.auto_recharge_enabled,
                recharge_amount_minor = excluded.recharge_amount_minor, trigger_amount_minor = excluded.trigger_amount_minor,
                updated_at = excluded.updated_at
            """
        )
    }

    static func savePaymentMethod(
        _ method: PaymentMethod,
        _ tenantId: TenantId,
        _ now: Instant,
        _ c: PostgresSession
    ) async throws {
        try await c.run(
            """
            INSERT INTO billing_settings (tenant_id, payment_method, auto_recharge_enabled, recharge_amount_minor, trigger_amount_minor, updated_at)
            VALUES (\(tenantId.rawValue), \(StoredValues.json(method)), 0, 0, 0, \(now.millisecondsSinceEpoch))
            ON CONFLICT (tenant_id) DO UPDATE SET payment_method = excluded.payment_method, updated_at = excluded.updated_at
            """
        )
    }

    static func history(_ tenantId: TenantId, _ now: Instant, _ c: PostgresSession) async throws -> RechargeHistory {
        let windowStart = now.adding(seconds: -RechargePolicy.burstWindowSeconds).millisecondsSinceEpoch
        let monthStart = CalendarMonth(of: now).start.millisecondsSinceEpoch
        let (inFlight, lastFailure, recent, thisMonth) = try await c.row(
            """
            SELECT
                EXISTS (SELECT 1 FROM recharge WHERE tenant_id = \(tenantId.rawValue) AND state = 'pending'),
                (SELECT MAX(finished_at) FROM recharge WHERE tenant_id = \(tenantId.rawValue) AND state = 'failed'),
                (SELECT COUNT(*) FROM recharge WHERE tenant_id = \(tenantId.rawValue) AND state != 'stopped' AND started_at > \(windowStart)),
                (SELECT COALESCE(SUM(amount_minor), 0)::BIGINT FROM recharge
                    WHERE tenant_id = \(tenantId.rawValue) AND state IN ('pending', 'succeeded') AND started_at >= \(monthStart))
            """,
            as: (Bool, Int64?, Int64, Int64).self
        )!
        return RechargeHistory(
            inFlight: inFlight,
            lastFailureAt: lastFailure.map(LedgerRows.instant),
            recentStarts: Int(recent),
            rechargedThisMonthMinor: thisMonth
        )
    }

    static func issueInvoice(
        _ kind: Invoice.Kind,
        sourceId: Int64,
        tenantId: TenantId,
        amountMinor: Int64,
        currency: Currency,
        paymentMethod: PaymentMethod,
        lotId: LotId,
        at now: Instant,
        _ c: PostgresSession
    ) async throws -> Int64 {
        try await c.row(
            """
            INSERT INTO invoice (tenant_id, kind, source_id, issued_at, amount_minor, currency, payment_method, lot_id)
            VALUES (\(tenantId.rawValue), \(kind.rawValue), \(sourceId), \(now.millisecondsSinceEpoch), \(amountMinor), \(currency.code),
                    \(StoredValues.json(paymentMethod)), \(lotId.rawValue))
            RETURNING id
            """,
            as: Int64.self
        )!
    }

    static let purchaseColumns =
        "id, tenant_id, idempotency_key, fingerprint, amount_minor, payment_method, auto_recharge, created_at, state, failure, lot_id, invoice_id"

    static func purchase(_ row: PostgresRow) throws -> PurchaseRecord {
        let r = try row.decode((Int64, String, String, String, Int64, String, String?, Int64, String, String?, Int64?, Int64?).self)
        return PurchaseRecord(
            id: r.0,
            request: NewPurchase(
                tenantId: TenantId(r.1),
                idempotencyKey: IdempotencyKey(stored: r.2),
                fingerprint: r.3,
                amountMinor: r.4,
                paymentMethod: StoredValues.paymentMethod(r.5),
                autoRecharge: StoredValues.autoRecharge(r.6),
                createdAt: LedgerRows.instant(r.7)
            ),
            state: PurchaseRecord.State(rawValue: r.8)!,
            failure: r.9.flatMap(PaymentFailureReason.init(rawValue:)),
            lotId: r.10.map(LotId.init),
            invoiceId: r.11
        )
    }

    static let rechargeColumns = "id, tenant_id, amount_minor, payment_method, started_at, state, failure, finished_at, lot_id, invoice_id"

    static func recharge(_ row: PostgresRow) throws -> RechargeRecord {
        let r = try row.decode((Int64, String, Int64, String?, Int64, String, String?, Int64?, Int64?, Int64?).self)
        return RechargeRecord(
            id: r.0,
            tenantId: TenantId(r.1),
            amountMinor: r.2,
            paymentMethod: r.3.map(StoredValues.paymentMethod),
            startedAt: LedgerRows.instant(r.4),
            state: RechargeRecord.State(rawValue: r.5)!,
            failure: r.6.flatMap(PaymentFailureReason.init(rawValue:)),
            finishedAt: r.7.map(LedgerRows.instant),
            lotId: r.8.map(LotId.init),
            invoiceId: r.9
        )
    }

    static let invoiceColumns = "id, tenant_id, kind, issued_at, amount_minor, currency, payment_method, lot_id"

    static func invoice(_ row: PostgresRow) throws -> Invoice {
        let r = try row.decode((Int64, String, String, Int64, Int64, String, String, Int64).self)
        return Invoice(
            id: r.0,
            tenantId: TenantId(r.1),
            kind: Invoice.Kind(rawValue: r.2)!,
            issuedAt: LedgerRows.instant(r.3),
            amountMinor: r.4,
            currency: Currency(code: r.5)!,
            paymentMethod: StoredValues.paymentMethod(r.6),
            lotId: LotId(r.7)
        )
    }
}
