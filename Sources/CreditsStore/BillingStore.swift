public import CreditsCore

/// Where payment methods, auto-recharge settings, purchases, recharges and invoices live.
/// Every step of a purchase or a recharge is its own idempotent write, so that one interrupted
/// anywhere can be resumed without charging or adding anything twice.
public protocol BillingStore: Sendable {
    func settings(for tenantId: TenantId) async throws -> BillingSettings
    func saveAutoRecharge(_ settings: AutoRechargeSettings, for tenantId: TenantId, at now: Instant) async throws
    func savePaymentMethod(_ method: PaymentMethod, for tenantId: TenantId, at now: Instant) async throws

    /// Records a purchase under the tenant's idempotency key, or returns the one already
    /// recorded under it (whatever its content: the caller compares fingerprints).
    func beginPurchase(_ purchase: NewPurchase) async throws -> PurchaseRecord
    /// Marks the purchase completed with its lot, issues its invoice and keeps its payment method
    /// (and auto-recharge settings, when it set them) on file, in one transaction. Idempotent.
    func completePurchase(id: Int64, lotId: LotId, currency: Currency, at now: Instant) async throws -> PurchaseRecord
    func failPurchase(id: Int64, reason: PaymentFailureReason) async throws -> PurchaseRecord
    /// The purchase recorded under the tenant's idempotency key, if any.
    func purchase(for tenantId: TenantId, key: IdempotencyKey) async throws -> PurchaseRecord?
    /// Purchases accepted before `before` and never finished: interrupted by a crash.
    func pendingPurchases(before: Instant) async throws -> [PurchaseRecord]

    /// Starts a recharge when `RechargePolicy` says so, judged on the balance as the transaction
    /// that records it finds it, so that concurrent callers start at most one per fall below the
    /// trigger, however late they ask; a burst is recorded once as `stopped`.
    func startRecharge(
        for tenantId: TenantId,
        at now: Instant
    ) async throws
        -> (decision: RechargePolicy.Decision, recharge: RechargeRecord?)
    func completeRecharge(id: Int64, lotId: LotId, currency: Currency, at now: Instant) async throws -> RechargeRecord
    func failRecharge(id: Int64, reason: PaymentFailureReason, at now: Instant) async throws -> RechargeRecord
    func pendingRecharges() async throws -> [RechargeRecord]
    /// The newest first.
    func recharges(for tenantId: TenantId, limit: Int) async throws -> [RechargeRecord]
    /// What the tenant's recharges say about starting another one now (`RechargePolicy`).
    func rechargeHistory(for tenantId: TenantId, at now: Instant) async throws -> RechargeHistory

    /// The newest first, older than invoice `before` when given.
    func invoices(for tenantId: TenantId, before: Int64?, limit: Int) async throws -> [Invoice]
    func invoice(_ id: Int64, for tenantId: TenantId) async throws -> Invoice?
}
