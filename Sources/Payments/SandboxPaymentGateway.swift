public import CreditsCore

/// The payment provider of the demo and the tests. It keeps the provider's own books: every
/// charge under its idempotency key, answered again the same way on a repeat. Its test tokens
/// behave as `API.md` says: `tok_visa` and `tok_mastercard` succeed;
/// `tok_chargeDeclinedExpiredCard` fails as an expired card; `tok_chargeDeclined` fails as
/// declined; `tok_gatewayTimeout` never answers in time and never charges.
public actor SandboxPaymentGateway: PaymentGateway {
    private struct TestCard {
        let card: PaymentMethod.Card
        let outcome: PaymentGatewayError?
    }

    private static let cards: [String: TestCard] = [
        "tok_visa": TestCard(card: .init(token: "tok_visa", brand: "Visa", lastFour: "4242", expiryMonth: 12, expiryYear: 2034), outcome: nil),
        "tok_mastercard": TestCard(
            card: .init(token: "tok_mastercard", brand: "Mastercard", lastFour: "4444", expiryMonth: 6, expiryYear: 2033),
            outcome: nil
        ),
        "tok_chargeDeclinedExpiredCard": TestCard(
            card: .init(token: "tok_chargeDeclinedExpiredCard", brand: "Visa", lastFour: "0069", expiryMonth: 1, expiryYear: 2024),
            outcome: .refused(.cardExpired)
        ),
        "tok_chargeDeclined": TestCard(
            card: .init(token: "tok_chargeDeclined", brand: "Visa", lastFour: "0002", expiryMonth: 12, expiryYear: 2034),
            outcome: .refused(.cardDeclined)
        ),
        "tok_gatewayTimeout": TestCard(
            card: .init(token: "tok_gatewayTimeout", brand: "Visa", lastFour: "0341", expiryMonth: 12, expiryYear: 2034),
            outcome: .timedOut
        ),
    ]

    public struct Charge: Hashable, Sendable {
        public let id: String
        public let request: ChargeRequest
    }

    /// Every answered request by idempotency key: a charge, or the refusal.
    private var outcomes: [String: Result<Charge, PaymentGatewayError>] = [:]
    /// Keys closed with nothing charged under them: a later charge under one is refused.
    private var closed: Set<String> = []
    /// Charges made in the order they were made: what the provider would pay out.
    public private(set) var charges: [Charge] = []
    /// How many requests arrived, repeats included.
    public private(set) var requestCount = 0
    private var answersToLose = 0

    /// The sandbox's test card numbers, as a provider's test mode lists them, and the token
    /// each is kept as: any expiry still valid and any security code go.
    public static let testNumbers: [(number: String, token: String, behaves: String)] = [
        ("4242 4242 4242 4242", "tok_visa", "a Visa that pays"),
        ("5555 5555 5555 4444", "tok_mastercard", "a Mastercard that pays"),
        ("4000 0000 0000 0069", "tok_chargeDeclinedExpiredCard", "a Visa refused as expired when charged"),
        ("4000 0000 0000 0002", "tok_chargeDeclined", "a Visa that is declined when charged"),
    ]

    public init() {}

    /// A token the sandbox answered for a card entered with its own expiry carries it after
    /// `~exp`, so that the card shows what was typed and survives a restart of the demo.
    public func card(forToken token: String) throws(PaymentGatewayError) -> PaymentMethod.Card {
        let parts = token.split(separator: "~", maxSplits: 1).map(String.init)
        guard let test = Self.cards[parts.first ?? ""] else { throw .unknownToken(token) }
        guard parts.count == 2 else { return test.card }
        let expiry = parts[1].dropFirst(3)
        guard parts[1].hasPrefix("exp"), expiry.count == 6, let month = Int(expiry.prefix(2)), let year = Int(expiry.suffix(4)),
            (1...12).contains(month)
        else { throw .unknownToken(token) }
        return PaymentMethod.Card(token: token, brand: test.card.brand, lastFour: test.card.lastFour, expiryMonth: month, expiryYear: year)
    }

    public func token(for card: CardEntry) throws(PaymentGatewayError) -> String {
        guard let test = Self.testNumbers.first(where: { $0.number.filter(\.isNumber) == card.number }) else { throw .unknownCard }
        return "\(test.token)~exp\(card.expiryMonth < 10 ? "0" : "")\(card.expiryMonth)\(card.expiryYear)"
    }

    public func charge(_ request: ChargeRequest) throws(PaymentGatewayError) -> ChargeReceipt {
        requestCount += 1
        let outcome: Result<Charge, PaymentGatewayError>
        if let first = outcomes[request.idempotencyKey] {
            outcome = first
        } else if closed.contains(request.idempotencyKey) {
            throw .refused(.gatewayUnavailable)
        } else {
            guard let test = Self.cards[String(request.token.prefix { $0 != "~" })] else { throw .unknownToken(request.token) }
            if test.outcome == .timedOut { throw .timedOut }
            if let refusal = test.outcome {
                outcome = .failure(refusal)
            } else {
                let charge = Charge(id: "ch_sandbox_\(charges.count + 1)", request: request)
                charges.append(charge)
                outcome = .success(charge)
            }
            outcomes[request.idempotencyKey] = outcome
        }
        if answersToLose > 0 {
            answersToLose -= 1
            throw .timedOut
        }
        let charge = try outcome.get()
        return ChargeReceipt(chargeId: charge.id, amountMinor: charge.request.amountMinor)
    }

    public func close(idempotencyKey key: String) throws(PaymentGatewayError) -> ChargeReceipt? {
        requestCount += 1
        if outcomes[key] == nil { closed.insert(key) }
        if answersToLose > 0 {
            answersToLose -= 1
            throw .timedOut
        }
        guard let charge = try outcomes[key]?.get() else { return nil }
        return ChargeReceipt(chargeId: charge.id, amountMinor: charge.request.amountMinor)
    }

    /// Fault injection: the next `count` requests are processed (a charge is made, a key closed)
    /// but their answers are lost on the way back, as when the network fails after the provider acted.
    public func loseAnswers(_ count: Int) {
        answersToLose = count
    }
}
