public import CreditsCore

/// A card payment provider. Cards are known here only by the provider's tokens.
public protocol PaymentGateway: Sendable {
    /// What may be shown of the card behind `token`; throws `.unknownToken` when there is none.
    func card(forToken token: String) async throws(PaymentGatewayError) -> PaymentMethod.Card

    /// Hands a card as typed to the provider, which keeps it and answers its token; throws
    /// `.unknownCard` when the provider will not take it.
    func token(for card: CardEntry) async throws(PaymentGatewayError) -> String

    /// Charges the card. A request with an idempotency key the provider has seen returns the
    /// first outcome and charges nothing again: that is what makes a retry safe after a time-out.
    func charge(_ request: ChargeRequest) async throws(PaymentGatewayError) -> ChargeReceipt

    /// Closes an idempotency key the service will not charge under again, and answers from the
    /// provider's books what became of it: the charge made under it, nil when nothing was
    /// charged (any later charge under the key is then refused), or `.refused` with the reason
    /// the provider gave. Throws `.timedOut` when it does not answer.
    func close(idempotencyKey: String) async throws(PaymentGatewayError) -> ChargeReceipt?
}

/// What the service knows of a card payment after asking the provider.
public enum PaymentOutcome: Hashable, Sendable {
    case charged(ChargeReceipt)
    /// Nothing was charged, for this reason; final.
    case failed(PaymentFailureReason)
    /// No answer: the provider may have charged; ask again later under the same key.
    case unanswered
}

public struct ChargeRequest: Hashable, Sendable {
    public let idempotencyKey: String
    public let token: String
    public let amountMinor: Int64
    public let currency: Currency
    public let description: String

    public init(idempotencyKey: String, token: String, amountMinor: Int64, currency: Currency, description: String) {
        self.idempotencyKey = idempotencyKey
        self.token = token
        self.amountMinor = amountMinor
        self.currency = currency
        self.description = description
    }
}

public struct ChargeReceipt: Hashable, Sendable {
    public let chargeId: String
    public let amountMinor: Int64

    public init(chargeId: String, amountMinor: Int64) {
        self.chargeId = chargeId
        self.amountMinor = amountMinor
    }
}

public enum PaymentGatewayError: Error, Hashable, Sendable {
    /// The provider answered no: the card is expired or declined. Final for this key.
    case refused(PaymentFailureReason)
    /// No answer in time: the charge may or may not have happened; retry with the same key.
    case timedOut
    case unknownToken(String)
    /// The provider does not take this card number.
    case unknownCard
}

extension PaymentGateway {
    /// Settles a card payment under its key. While the key may still be repeated safely
    /// (`mayCharge`), the card is charged, a time-out retried. Once it may not (providers forget
    /// keys after about a day, so a repeat could charge twice), the key is closed instead and the
    /// provider's books decide: charged, or nothing charged and the payment failed as unreachable.
    /// No answer is never taken as a refusal.
    public func settle(_ request: ChargeRequest, mayCharge: Bool, attempts: Int = 3) async -> PaymentOutcome {
        for _ in 0..<max(attempts, 1) {
            do throws(PaymentGatewayError) {
                if mayCharge { return .charged(try await charge(request)) }
                guard let receipt = try await close(idempotencyKey: request.idempotencyKey) else { return .failed(.gatewayUnavailable) }
                return .charged(receipt)
            } catch .timedOut {
                continue
            } catch {
                return .failed(Self.reason(error))
            }
        }
        return .unanswered
    }

    private static func reason(_ error: PaymentGatewayError) -> PaymentFailureReason {
        switch error {
        case let .refused(reason): reason
        case .timedOut: .gatewayUnavailable
        case .unknownToken, .unknownCard: .cardDeclined
        }
    }
}
