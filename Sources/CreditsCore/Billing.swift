/// A purchase as it is accepted, before the card is charged.
public struct NewPurchase: Hashable, Sendable {
    public let tenantId: TenantId
    public let idempotencyKey: IdempotencyKey
    public let fingerprint: String
    public let amountMinor: Int64
    public let paymentMethod: PaymentMethod
    public let autoRecharge: AutoRechargeSettings?
    public let createdAt: Instant

    public init(
        tenantId: TenantId,
        idempotencyKey: IdempotencyKey,
        fingerprint: String,
        amountMinor: Int64,
        paymentMethod: PaymentMethod,
        autoRecharge: AutoRechargeSettings?,
        createdAt: Instant
    ) {
        self.tenantId = tenantId
        self.idempotencyKey = idempotencyKey
        self.fingerprint = fingerprint
        self.amountMinor = amountMinor
        self.paymentMethod = paymentMethod
        self.autoRecharge = autoRecharge
        self.createdAt = createdAt
    }
}

/// A purchase as the store keeps it, from the moment it is accepted: the gateway is charged
/// under `gatewayKey`, the funds are added under `ledgerKey`, so that resuming a purchase
/// after a crash charges and adds nothing twice.
public struct PurchaseRecord: Hashable, Sendable {
    public enum State: String, Hashable, Sendable { case pending, completed, failed }

    public let id: Int64
    /// What was accepted, as it was accepted.
    public let request: NewPurchase
    public var state: State
    public var failure: PaymentFailureReason?
    public var lotId: LotId?
    public var invoiceId: Int64?

    public init(id: Int64, request: NewPurchase, state: State, failure: PaymentFailureReason?, lotId: LotId?, invoiceId: Int64?) {
        self.id = id
        self.request = request
        self.state = state
        self.failure = failure
        self.lotId = lotId
        self.invoiceId = invoiceId
    }

    public var gatewayKey: String { "purchase-\(id)" }
    public var ledgerKey: IdempotencyKey { IdempotencyKey(system: "purchase-\(id)") }
}

/// One automatic recharge: started when a charge left the balance below the trigger, at most
/// one in flight per tenant, charged under `gatewayKey` and added under `ledgerKey`.
public struct RechargeRecord: Hashable, Sendable {
    public enum State: String, Hashable, Sendable {
        case pending, succeeded, failed
        /// Not started: too many recharges in a short time (a burst), alerted instead.
        case stopped
    }

    public let id: Int64
    public let tenantId: TenantId
    public let amountMinor: Int64
    public let paymentMethod: PaymentMethod?
    public let startedAt: Instant
    public var state: State
    public var failure: PaymentFailureReason?
    public var finishedAt: Instant?
    public var lotId: LotId?
    public var invoiceId: Int64?

    public init(
        id: Int64,
        tenantId: TenantId,
        amountMinor: Int64,
        paymentMethod: PaymentMethod?,
        startedAt: Instant,
        state: State,
        failure: PaymentFailureReason?,
        finishedAt: Instant?,
        lotId: LotId?,
        invoiceId: Int64?
    ) {
        self.id = id
        self.tenantId = tenantId
        self.amountMinor = amountMinor
        self.paymentMethod = paymentMethod
        self.startedAt = startedAt
        self.state = state
        self.failure = failure
        self.finishedAt = finishedAt
        self.lotId = lotId
        self.invoiceId = invoiceId
    }

    public var gatewayKey: String { "recharge-\(id)" }
    public var ledgerKey: IdempotencyKey { IdempotencyKey(system: "recharge-\(id)") }
}

/// Why a payment did not go through.
public enum PaymentFailureReason: String, Error, Hashable, Sendable, CaseIterable {
    case cardExpired, cardDeclined, gatewayUnavailable
    /// A recharge with no payment method on file (the tenant never bought by card or agreement).
    case noPaymentMethod

    public var error: Refusal {
        switch self {
        case .cardExpired:
            Refusal(
                .paymentCardExpired,
                detail: "The card has expired; nothing was charged.",
                remedy: "Use another card or update the payment method, then try again."
            )
        case .cardDeclined:
            Refusal(
                .paymentDeclined,
                detail: "The card was declined; nothing was charged.",
                remedy: "Use another card or contact the card's issuer."
            )
        case .gatewayUnavailable:
            Refusal(
                .paymentGatewayUnavailable,
                detail: "The payment provider did not answer; nothing was added.",
                remedy: "Try again later with a new Idempotency-Key; a charge is never taken twice for one purchase."
            )
        case .noPaymentMethod:
            Refusal(
                .noPaymentMethod,
                detail: "There is no payment method on file.",
                remedy: "Buy credits once with a card or an Enterprise Agreement, which keeps it on file."
            )
        }
    }
}

/// One invoice per purchase or recharge transaction.
public struct Invoice: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case purchase, recharge }

    public let id: Int64
    public let tenantId: TenantId
    public let kind: Kind
    public let issuedAt: Instant
    public let amountMinor: Int64
    public let currency: Currency
    public let paymentMethod: PaymentMethod
    public let lotId: LotId

    public init(
        id: Int64,
        tenantId: TenantId,
        kind: Kind,
        issuedAt: Instant,
        amountMinor: Int64,
        currency: Currency,
        paymentMethod: PaymentMethod,
        lotId: LotId
    ) {
        self.id = id
        self.tenantId = tenantId
        self.kind = kind
        self.issuedAt = issuedAt
        self.amountMinor = amountMinor
        self.currency = currency
        self.paymentMethod = paymentMethod
        self.lotId = lotId
    }

    /// Numbered in the order invoices are issued: "CC-2026-000042".
    public var number: String { Self.number(prefix: "CC", year: issuedAt.civilDateAndTime.date.year, id: id) }

    /// `PREFIX-YEAR-` and the id in at least six digits.
    public static func number(prefix: String, year: Int64, id: Int64) -> String {
        let digits = String(id)
        return "\(prefix)-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}

/// A tenant's payment method and auto-recharge settings.
public struct BillingSettings: Hashable, Sendable {
    public var paymentMethod: PaymentMethod?
    public var autoRecharge: AutoRechargeSettings

    public init(paymentMethod: PaymentMethod?, autoRecharge: AutoRechargeSettings) {
        self.paymentMethod = paymentMethod
        self.autoRecharge = autoRecharge
    }

    public static let none = BillingSettings(paymentMethod: nil, autoRecharge: .off)
}

/// A payment whose charge got no answer: no answer is not a refusal, and the payment stays
/// pending until the provider has answered one way or the other.
public enum UnansweredPayment {
    /// Our rule: for a day the charge is sent again under its key (the provider answers a repeat
    /// as it answered first); past it the key is closed at the provider instead, which says
    /// whether it charged.
    public static let retrySeconds: Int64 = 24 * 3600

    public static func mayCharge(since start: Instant, at now: Instant) -> Bool {
        now < start.adding(seconds: retrySeconds)
    }
}
