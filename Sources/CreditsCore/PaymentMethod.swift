/// How a purchase or a recharge is paid: a card kept only as the gateway's token and what may
/// be shown of it, or an Enterprise Agreement with an optional purchase-order number.
public enum PaymentMethod: Hashable, Sendable, CustomStringConvertible {
    case card(Card)
    case agreement(number: String, purchaseOrder: String?)

    /// A card as the payment gateway describes it; never the number.
    public struct Card: Hashable, Sendable {
        public let token: String
        public let brand: String
        public let lastFour: String
        public let expiryMonth: Int
        public let expiryYear: Int

        public init(token: String, brand: String, lastFour: String, expiryMonth: Int, expiryYear: Int) {
            self.token = token
            self.brand = brand
            self.lastFour = lastFour
            self.expiryMonth = expiryMonth
            self.expiryYear = expiryYear
        }
    }

    public static let maximumPurchaseOrderLength = 64

    /// Checks an optional purchase-order number: 1 to 64 printable characters when given.
    public static func checkedPurchaseOrder(_ text: String?) throws(Refusal) -> String? {
        guard let text else { return nil }
        let trimmed = text.trimmingWhitespace
        if trimmed.isEmpty { return nil }
        guard trimmed.utf8.count <= maximumPurchaseOrderLength, !trimmed.hasControlCharacters else {
            throw Refusal.invalid(.invalidPurchaseOrder, "A purchase-order number is at most \(maximumPurchaseOrderLength) printable characters.")
        }
        return trimmed
    }

    /// As an invoice shows it: "Visa ending 4242 (12/2030)", "Enterprise Agreement 123 (PO 77)".
    public var description: String {
        switch self {
        case let .card(card):
            "\(card.brand) ending \(card.lastFour) (\(card.expiryMonth < 10 ? "0" : "")\(card.expiryMonth)/\(card.expiryYear))"
        case let .agreement(number, purchaseOrder):
            "Enterprise Agreement \(number)" + (purchaseOrder.map { " (PO \($0))" } ?? "")
        }
    }
}
