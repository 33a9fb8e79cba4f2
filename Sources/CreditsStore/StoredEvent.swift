package import CreditsCore

/// A notification's event as the outbox keeps it: its kind and its facts in generic columns,
/// read back by kind. One format for every database.
package struct StoredEvent: Sendable {
    package var reference: String
    package var amountMinor: Int64?
    package var quantity: Int64?
    package var detail: String?
    package var dueAt: Int64?

    package init(reference: String, amountMinor: Int64? = nil, quantity: Int64? = nil, detail: String? = nil, dueAt: Int64? = nil) {
        self.reference = reference
        self.amountMinor = amountMinor
        self.quantity = quantity
        self.detail = detail
        self.dueAt = dueAt
    }

    package init(_ event: CreditEvent) {
        switch event {
        case let .rechargeSucceeded(id, amount), let .rechargeStopped(id, amount):
            self.init(reference: String(id), amountMinor: amount)
        case let .rechargeFailed(id, amount, reason):
            self.init(reference: String(id), amountMinor: amount, detail: reason.rawValue)
        case let .balanceExhausted(transaction):
            self.init(reference: transaction.description)
        case let .balanceBelowTrigger(transaction, trigger):
            self.init(reference: transaction.description, amountMinor: trigger)
        case let .lotExpiring(lot, remaining, expiresAt, days):
            self.init(reference: lot.description, amountMinor: remaining, quantity: days, dueAt: expiresAt.millisecondsSinceEpoch)
        case let .conferencingPoolUsed(month, percent):
            self.init(reference: month.description, quantity: percent)
        case let .postUsageInvoiceIssued(invoice, amount, month):
            self.init(reference: String(invoice), amountMinor: amount, detail: month.description)
        case let .unlicensedUse(day, usageId):
            self.init(reference: usageId, dueAt: day.instant().millisecondsSinceEpoch)
        case let .spendLimitUsed(upn, month, percent, limit):
            self.init(reference: upn.rawValue, amountMinor: limit, quantity: percent, detail: month.description)
        case let .unitSpendLimitUsed(unit, month, percent, limit):
            self.init(reference: unit.rawValue, amountMinor: limit, quantity: percent, detail: month.description)
        case let .rechargeCapReached(month, cap):
            self.init(reference: month.description, amountMinor: cap)
        case let .velocityAlarm(suspension):
            self.init(
                reference: String(suspension.since.millisecondsSinceEpoch),
                amountMinor: suspension.spentMinor,
                quantity: suspension.thresholdMinor
            )
        }
    }

    /// The event of `kind` these facts describe; they were written by `init(_:)`.
    package func event(_ kind: CreditEvent.Kind) -> CreditEvent {
        switch kind {
        case .rechargeSucceeded: .rechargeSucceeded(rechargeId: Int64(reference)!, amountMinor: amountMinor!)
        case .rechargeFailed:
            .rechargeFailed(rechargeId: Int64(reference)!, amountMinor: amountMinor!, reason: PaymentFailureReason(rawValue: detail!)!)
        case .rechargeStopped: .rechargeStopped(rechargeId: Int64(reference)!, amountMinor: amountMinor!)
        case .balanceExhausted: .balanceExhausted(transactionId: TransactionId(Int64(reference)!))
        case .balanceBelowTrigger: .balanceBelowTrigger(transactionId: TransactionId(Int64(reference)!), triggerMinor: amountMinor!)
        case .lotExpiring:
            .lotExpiring(
                lotId: LotId(Int64(reference)!),
                remainingMinor: amountMinor!,
                expiresAt: Instant(millisecondsSinceEpoch: dueAt!),
                daysAhead: quantity!
            )
        case .conferencingPoolUsed: .conferencingPoolUsed(month: CalendarMonth(reference)!, percent: quantity!)
        case .postUsageInvoiceIssued: .postUsageInvoiceIssued(invoiceId: Int64(reference)!, amountMinor: amountMinor!, month: CalendarMonth(detail!)!)
        case .unlicensedUse: .unlicensedUse(day: Instant(millisecondsSinceEpoch: dueAt!).civilDateAndTime.date, usageId: reference)
        case .rechargeCapReached: .rechargeCapReached(month: CalendarMonth(reference)!, capMinor: amountMinor!)
        case .velocityAlarm:
            .velocityAlarm(
                VelocitySuspension(since: Instant(millisecondsSinceEpoch: Int64(reference)!), spentMinor: amountMinor!, thresholdMinor: quantity!)
            )
        case .spendLimitUsed:
            .spendLimitUsed(upn: UserPrincipalName(stored: reference), month: CalendarMonth(detail!)!, percent: quantity!, limitMinor: amountMinor!)
        case .unitSpendLimitUsed:
            .unitSpendLimitUsed(
                unit: AdministrativeUnit(stored: reference),
                month: CalendarMonth(detail!)!,
                percent: quantity!,
                limitMinor: amountMinor!
            )
        }
    }
}

extension CreditEvent {
    /// The ledger transaction a balance alert is about.
    package var transactionId: TransactionId? {
        switch self {
        case let .balanceExhausted(id), let .balanceBelowTrigger(id, _): id
        default: nil
        }
    }
}
