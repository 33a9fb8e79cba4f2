/// What the administrator fills in at *Checkout*: the amount, how to pay, and optionally the
/// auto-recharge settings to keep from now on.
public struct PurchaseOrder: Hashable, Sendable {
    public enum Payment: Hashable, Sendable {
        case card(token: String)
        case agreement(number: String, purchaseOrder: String?)
    }

    public let amountMinor: Int64
    public let payment: Payment
    /// Nil keeps the settings on file.
    public let autoRecharge: AutoRechargeSettings?

    public init(amountMinor: Int64, payment: Payment, autoRecharge: AutoRechargeSettings?) {
        self.amountMinor = amountMinor
        self.payment = payment
        self.autoRecharge = autoRecharge
    }

    /// The order's content in one canonical line, compared when its idempotency key comes again.
    public var fingerprint: String {
        let payment =
            switch payment {
            case let .card(token): "card:\(token)"
            case let .agreement(number, purchaseOrder): "agreement:\(number):\(purchaseOrder ?? "")"
            }
        let autoRecharge = autoRecharge.map { "\($0.enabled),\($0.rechargeAmountMinor),\($0.triggerAmountMinor)" } ?? "unchanged"
        return "purchase amount=\(amountMinor) payment=\(payment) autoRecharge=\(autoRecharge)"
    }
}
