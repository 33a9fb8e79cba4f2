import CreditsCore
import CreditsEngine
import Payments
import Synchronization

/// The payment provider as the simulator plays it: it keeps the provider's books (each charge
/// under its idempotency key, answered the same way on every repeat) and, by the seed, answers
/// late, not at all, declines, loses its answer after charging, or outlives the service: the
/// process dies just after the card was charged (`crash`).
final class SimulatedGateway: PaymentGateway {
    static let goodToken = "tok_visa"
    static let declinedToken = "tok_chargeDeclined"

    struct Books {
        var outcomes: [String: Result<ChargeReceipt, PaymentGatewayError>] = [:]
        var requests: [String: Int] = [:]
        /// Keys closed with nothing charged: a later charge under one is refused.
        var closed: Set<String> = []
        var faultsOn = true
    }

    private let seed: UInt64
    private let clock: ManualClock
    private let books = Mutex(Books())
    /// Called when the service dies between the charge and its answer.
    let crash: @Sendable () -> Void

    init(seed: UInt64, clock: ManualClock, crash: @escaping @Sendable () -> Void) {
        self.seed = seed
        self.clock = clock
        self.crash = crash
    }

    /// Charges made, by idempotency key: what the provider pays out.
    var charges: [String: Int64] {
        books.withLock { $0.outcomes.compactMapValues { try? $0.get().amountMinor } }
    }

    /// While off, the provider answers every request at once and truly (to let a run settle).
    func setFaults(_ on: Bool) {
        books.withLock { $0.faultsOn = on }
    }

    func card(forToken token: String) throws(PaymentGatewayError) -> PaymentMethod.Card {
        guard [Self.goodToken, Self.declinedToken].contains(token) else { throw .unknownToken(token) }
        return PaymentMethod.Card(token: token, brand: "Visa", lastFour: token == Self.goodToken ? "4242" : "0002", expiryMonth: 12, expiryYear: 2040)
    }

    /// The simulated platform pays with its two tokens; nobody types a card in.
    func token(for card: CardEntry) throws(PaymentGatewayError) -> String { throw .unknownCard }

    func charge(_ request: ChargeRequest) throws(PaymentGatewayError) -> ChargeReceipt {
        enum Fault { case none, noAnswer, lostAnswer, crash, slow }
        let (outcome, fault) = books.withLock { books -> (Result<ChargeReceipt, PaymentGatewayError>?, Fault) in
            let attempt = books.requests[request.idempotencyKey, default: 0]
            books.requests[request.idempotencyKey] = attempt + 1
            var random = SplitMix64(seed: seed, naming: ["charge", request.idempotencyKey, "\(attempt)"])
            let roll = books.faultsOn ? Int.random(in: 0..<100, using: &random) : 99
            let fault: Fault =
                switch roll {
                case 0..<8: .noAnswer
                case 8..<14: .lostAnswer
                case 14..<18: .crash
                case 18..<25: .slow
                default: .none
                }
            if fault == .noAnswer, books.outcomes[request.idempotencyKey] == nil { return (nil, fault) }
            if books.closed.contains(request.idempotencyKey) { return (.failure(.refused(.gatewayUnavailable)), fault) }
            if books.outcomes[request.idempotencyKey] == nil {
                let declined = request.token == Self.declinedToken || (books.faultsOn && roll >= 95)
                books.outcomes[request.idempotencyKey] =
                    declined
                    ? .failure(.refused(.cardDeclined))
                    : .success(ChargeReceipt(chargeId: "ch_sim_\(books.outcomes.count + 1)", amountMinor: request.amountMinor))
            }
            return (books.outcomes[request.idempotencyKey], fault)
        }
        switch fault {
        case .noAnswer, .lostAnswer:
            throw .timedOut
        case .crash:
            crash()
            throw .timedOut
        case .slow:
            clock.advance(seconds: 20)
        case .none:
            break
        }
        return try outcome!.get()
    }

    /// Closes a key; by the seed the answer is lost or never comes, as for a charge.
    func close(idempotencyKey key: String) throws(PaymentGatewayError) -> ChargeReceipt? {
        let (outcome, answered) = books.withLock { books -> (Result<ChargeReceipt, PaymentGatewayError>?, Bool) in
            let attempt = books.requests[key, default: 0]
            books.requests[key] = attempt + 1
            var random = SplitMix64(seed: seed, naming: ["close", key, "\(attempt)"])
            let roll = books.faultsOn ? Int.random(in: 0..<100, using: &random) : 99
            if roll >= 8, books.outcomes[key] == nil { books.closed.insert(key) }
            return (books.outcomes[key], roll >= 14)
        }
        guard answered else { throw .timedOut }
        return try outcome?.get()
    }
}
