import CreditsCore
import Foundation

/// The JSON body POSTed to a tenant's webhooks: the event's type and facts, and the balance.
struct WebhookPayload: Encodable {
    var id: String
    var type: String
    var tenantId: String
    var occurredAt: String
    var currency: String
    var balanceMinor: Int64
    var summary: String
    var data: EventData

    struct EventData: Encodable {
        var rechargeId: Int64?
        var amountMinor: Int64?
        var reason: String?
        var transactionId: Int64?
        var triggerAmountMinor: Int64?
        var lotId: Int64?
        var remainingMinor: Int64?
        var expiresAt: String?
        var daysAhead: Int64?
        var month: String?
        var percent: Int64?
        var invoiceId: Int64?
        var day: String?
        var usageId: String?
        var upn: String?
        var administrativeUnit: String?
        var limitMinor: Int64?
        var suspendedAt: String?
        var spentMinor: Int64?
        var thresholdMinor: Int64?
    }

    init(_ notification: CreditNotification, summary: String) {
        id = Self.eventId(notification)
        type = notification.event.kind.rawValue
        tenantId = notification.tenantId.rawValue
        occurredAt = ISO8601.format(notification.occurredAt)
        currency = notification.currency.code
        balanceMinor = notification.balanceMinor
        self.summary = summary
        var data = EventData()
        switch notification.event {
        case let .rechargeSucceeded(recharge, amount), let .rechargeStopped(recharge, amount):
            (data.rechargeId, data.amountMinor) = (recharge, amount)
        case let .rechargeFailed(recharge, amount, reason):
            (data.rechargeId, data.amountMinor, data.reason) = (recharge, amount, reason.rawValue)
        case let .balanceExhausted(transaction):
            data.transactionId = transaction.rawValue
        case let .balanceBelowTrigger(transaction, trigger):
            (data.transactionId, data.triggerAmountMinor) = (transaction.rawValue, trigger)
        case let .lotExpiring(lot, remaining, expiresAt, days):
            (data.lotId, data.remainingMinor, data.expiresAt, data.daysAhead) = (lot.rawValue, remaining, ISO8601.format(expiresAt), days)
        case let .conferencingPoolUsed(month, percent):
            (data.month, data.percent) = (month.description, percent)
        case let .postUsageInvoiceIssued(invoice, amount, month):
            (data.invoiceId, data.amountMinor, data.month) = (invoice, amount, month.description)
        case let .unlicensedUse(day, usageId):
            (data.day, data.usageId) = (ISO8601.formatDate(day.instant()), usageId)
        case let .rechargeCapReached(month, cap):
            (data.month, data.limitMinor) = (month.description, cap)
        case let .spendLimitUsed(upn, month, percent, limit):
            (data.upn, data.month, data.percent, data.limitMinor) = (upn.rawValue, month.description, percent, limit)
        case let .unitSpendLimitUsed(unit, month, percent, limit):
            (data.administrativeUnit, data.month, data.percent, data.limitMinor) = (unit.rawValue, month.description, percent, limit)
        case let .velocityAlarm(suspension):
            (data.suspendedAt, data.spentMinor, data.thresholdMinor) = (
                ISO8601.format(suspension.since), suspension.spentMinor, suspension.thresholdMinor
            )
        }
        self.data = data
    }

    /// The same for every copy and every retry, so that a receiver can drop repeats.
    static func eventId(_ notification: CreditNotification) -> String { "evt_\(notification.id)" }

    func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try! encoder.encode(self)
    }
}
