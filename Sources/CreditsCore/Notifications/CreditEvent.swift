/// Something that happened to a tenant's credits that its administrators hear about
/// (`DOMAIN.md` section 9). The first three come from the seeds; the rest are our additions.
public enum CreditEvent: Hashable, Sendable {
    case rechargeSucceeded(rechargeId: Int64, amountMinor: Int64)
    case rechargeFailed(rechargeId: Int64, amountMinor: Int64, reason: PaymentFailureReason)
    /// More recharges than `RechargePolicy.burstLimit` in its window: auto-recharge stopped.
    case rechargeStopped(rechargeId: Int64, amountMinor: Int64)
    /// The balance reached zero or fell below it, in this ledger transaction.
    case balanceExhausted(transactionId: TransactionId)
    /// The balance fell below the trigger amount while auto-recharge is off.
    case balanceBelowTrigger(transactionId: TransactionId, triggerMinor: Int64)
    case lotExpiring(lotId: LotId, remainingMinor: Int64, expiresAt: Instant, daysAhead: Int64)
    case conferencingPoolUsed(month: CalendarMonth, percent: Int64)
    case postUsageInvoiceIssued(invoiceId: Int64, amountMinor: Int64, month: CalendarMonth)
    /// Records of users without the license or calling plan their calls needed were charged;
    /// told once a day at most, naming the first record of that day.
    case unlicensedUse(day: CivilDate, usageId: String)
    /// A user's credit spend this month reached `percent` (80 or 100) of the monthly limit.
    case spendLimitUsed(upn: UserPrincipalName, month: CalendarMonth, percent: Int64, limitMinor: Int64)
    /// The credit spend of an administrative unit's users this month reached `percent` (80 or
    /// 100) of the unit's monthly limit.
    case unitSpendLimitUsed(unit: AdministrativeUnit, month: CalendarMonth, percent: Int64, limitMinor: Int64)
    /// Auto-recharge paused for the rest of the month: another recharge would pass the monthly cap.
    case rechargeCapReached(month: CalendarMonth, capMinor: Int64)
    /// The velocity alarm suspended international and premium credit-paid calls.
    case velocityAlarm(VelocitySuspension)

    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case rechargeSucceeded, rechargeFailed, rechargeStopped, balanceExhausted, balanceBelowTrigger, lotExpiring
        case conferencingPoolUsed, postUsageInvoiceIssued, unlicensedUse, spendLimitUsed, unitSpendLimitUsed, rechargeCapReached, velocityAlarm
    }

    public var kind: Kind {
        switch self {
        case .rechargeSucceeded: .rechargeSucceeded
        case .rechargeFailed: .rechargeFailed
        case .rechargeStopped: .rechargeStopped
        case .balanceExhausted: .balanceExhausted
        case .balanceBelowTrigger: .balanceBelowTrigger
        case .lotExpiring: .lotExpiring
        case .conferencingPoolUsed: .conferencingPoolUsed
        case .postUsageInvoiceIssued: .postUsageInvoiceIssued
        case .unlicensedUse: .unlicensedUse
        case .spendLimitUsed: .spendLimitUsed
        case .unitSpendLimitUsed: .unitSpendLimitUsed
        case .rechargeCapReached: .rechargeCapReached
        case .velocityAlarm: .velocityAlarm
        }
    }

    /// Names the event within its tenant; the outbox keeps one notification per key, which is
    /// what makes each event notified once however often the change that caused it is retried.
    public var key: String {
        switch self {
        case let .rechargeSucceeded(id, _): "recharge-\(id)-succeeded"
        case let .rechargeFailed(id, _, _): "recharge-\(id)-failed"
        case let .rechargeStopped(id, _): "recharge-\(id)-stopped"
        case let .balanceExhausted(transaction): "balance-exhausted-\(transaction)"
        case let .balanceBelowTrigger(transaction, _): "balance-below-trigger-\(transaction)"
        case let .lotExpiring(lot, _, _, days): "lot-\(lot)-expiring-\(days)d"
        case let .conferencingPoolUsed(month, percent): "conferencing-pool-\(month)-\(percent)pct"
        case let .postUsageInvoiceIssued(invoice, _, _): "post-usage-invoice-\(invoice)"
        case let .unlicensedUse(day, _): "unlicensed-use-\(ISO8601.formatDate(day.instant()))"
        case let .spendLimitUsed(upn, month, percent, _): "spend-limit-\(upn)-\(month)-\(percent)pct"
        case let .unitSpendLimitUsed(unit, month, percent, _): "unit-spend-limit-\(unit)-\(month)-\(percent)pct"
        case let .rechargeCapReached(month, _): "recharge-cap-\(month)"
        case let .velocityAlarm(suspension): "velocity-alarm-\(suspension.since.millisecondsSinceEpoch)"
        }
    }
}

/// One event of one tenant, as the outbox keeps it: with the balance when it happened, so that
/// the message says where the tenant stands.
public struct CreditNotification: Hashable, Sendable {
    public let id: Int64
    public let tenantId: TenantId
    public let event: CreditEvent
    public let occurredAt: Instant
    public let currency: Currency
    public let balanceMinor: Int64

    public init(id: Int64, tenantId: TenantId, event: CreditEvent, occurredAt: Instant, currency: Currency, balanceMinor: Int64) {
        self.id = id
        self.tenantId = tenantId
        self.event = event
        self.occurredAt = occurredAt
        self.currency = currency
        self.balanceMinor = balanceMinor
    }
}
