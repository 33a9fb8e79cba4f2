public import CreditsCore

/// A card payment provider. Cards are known here only by the provider's tokens.
public protocol PaymentGateway: Sendable {
    /// What may be shown of the card behind `token`; throws `.unknownToken` when there is none.
    func card(forToken token: String) async throws(PaymentGatewayError) -> PaymentMethod.Card

    /// Charges the card. A request with an idempotency key the provider has seen returns the
    /// first outcome and charges nothing again: that is what makes a retry safe after a time-out.
    func charge(_ request: ChargeRequest) async throws(PaymentGatewayError) -> ChargeReceipt
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
}

extension PaymentGateway {
    /// Charges, retrying a time-out up to `attempts` times in all under the same idempotency key.
    public func chargeRetryingTimeouts(_ request: ChargeRequest, attempts: Int = 3) async -> Result<ChargeReceipt, PaymentFailureReason> {
        for _ in 0..<max(attempts, 1) {
            do throws(PaymentGatewayError) {
                return .success(try await charge(request))
            } catch .timedOut {
                continue
            } catch {
                return .failure(Self.reason(error))
            }
        }
        return .failure(.gatewayUnavailable)
    }

    private static func reason(_ error: PaymentGatewayError) -> PaymentFailureReason {
        switch error {
        case let .refused(reason): reason
        case .timedOut: .gatewayUnavailable
        case .unknownToken: .cardDeclined
        }
    }
}
