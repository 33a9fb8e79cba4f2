import CreditsCore
import Notifications
import Synchronization

/// The mail relay and the webhook receivers as the simulator plays them: each copy that
/// reaches its recipient is counted; by the seed a send fails for a while, fails for good, or
/// arrives but its answer is lost (so the copy is sent again: the recipient sees it twice, with
/// the same message id).
final class SimulatedCourier: NotificationCourier {
    struct Copy: Hashable {
        let notificationId: Int64
        let recipient: String
    }

    private struct State {
        var received: [Copy: Int] = [:]
        var attempts: [Copy: Int] = [:]
        var faultsOn = true
    }

    private let seed: UInt64
    private let state = Mutex(State())

    init(seed: UInt64) {
        self.seed = seed
    }

    /// How often each copy arrived.
    var received: [Copy: Int] { state.withLock { $0.received } }

    func setFaults(_ on: Bool) {
        state.withLock { $0.faultsOn = on }
    }

    func email(_ text: NotificationText, of notification: CreditNotification, to address: String) async throws -> MailboxMessage? {
        try deliver(Copy(notificationId: notification.id, recipient: "email:\(address)"))
        return nil
    }

    func post(_ notification: CreditNotification, summary: String, to webhook: Webhook) async throws {
        try deliver(Copy(notificationId: notification.id, recipient: "webhook:\(webhook.id)"))
    }

    private func deliver(_ copy: Copy) throws {
        let roll = state.withLock { state in
            let attempt = state.attempts[copy, default: 0]
            state.attempts[copy] = attempt + 1
            var random = SplitMix64(seed: seed, naming: ["copy", "\(copy.notificationId)", copy.recipient, "\(attempt)"])
            return state.faultsOn ? Int.random(in: 0..<100, using: &random) : 99
        }
        switch roll {
        case 0..<10:
            throw DeliveryFailure(description: "The relay did not answer.", isPermanent: false)
        case 10..<12:
            throw DeliveryFailure(description: "The mailbox does not exist.", isPermanent: true)
        case 12..<18:
            state.withLock { $0.received[copy, default: 0] += 1 }
            throw DeliveryFailure(description: "The answer was lost after the message was accepted.", isPermanent: false)
        default:
            state.withLock { $0.received[copy, default: 0] += 1 }
        }
    }
}
