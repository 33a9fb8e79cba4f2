public import CreditsCore
public import CreditsEngine
public import CreditsStore
public import Logging
import Metrics

/// Takes notifications from the outbox to their recipients: addresses each new one to every
/// administrator of its tenant and every webhook it registered, then sends each copy that is
/// due, recording it delivered, or failed with the next try per `DeliveryPolicy`.
public struct NotificationDispatcher: Sendable {
    let stores: Stores
    let courier: any NotificationCourier
    let clock: any CreditsClock
    let logger: Logger
    /// The most copies taken in one round; the rest wait for the next.
    static let batchSize = 100
    /// Copies on their way at once: the relay's round trips overlap, and no relay is flooded.
    static let concurrentSends = 8

    /// Without `mail`, email copies go to the local mailbox, where the admin center shows them.
    public init(stores: Stores, mail: Mailer?, webhooks: WebhookSender = WebhookSender(), clock: any CreditsClock, logger: Logger) {
        self.init(stores: stores, courier: NetworkCourier(mail: mail, webhooks: webhooks), clock: clock, logger: logger)
    }

    public init(stores: Stores, courier: any NotificationCourier, clock: any CreditsClock, logger: Logger) {
        self.stores = stores
        self.courier = courier
        self.clock = clock
        self.logger = logger
    }

    /// One round: addresses what is new and sends what is due, `concurrentSends` at a time.
    /// Returns the copies delivered.
    @discardableResult
    public func deliverDue() async throws -> Int {
        try await addressNew()
        let due = try await stores.notifications.claimDueDeliveries(at: clock.now(), limit: Self.batchSize)
        var tenants: [TenantId: Addressee] = [:]
        for tenantId in Set(due.map(\.notification.tenantId)) {
            let tenant = try await stores.directory.tenant(tenantId)
            // What a used-up balance means depends on the commerce model and auto-recharge now.
            var postUsage = PostUsageStatus.prepaid
            if let model = tenant?.billingAccount.commerceModel, model.isPostUsage {
                postUsage = PostUsageStatus(
                    commerceModel: model,
                    balanceMinor: 0,
                    autoRecharge: try await stores.billing.settings(for: tenantId).autoRecharge
                )
            }
            tenants[tenantId] = Addressee(name: tenant?.name ?? tenantId.rawValue, postUsage: postUsage)
        }
        let tenantsDue = tenants
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            var delivered = 0
            for (index, delivery) in due.enumerated() {
                if index >= Self.concurrentSends, try await group.next() == true { delivered += 1 }
                group.addTask { try await deliver(delivery, to: tenantsDue[delivery.notification.tenantId]!) }
            }
            for try await succeeded in group where succeeded { delivered += 1 }
            return delivered
        }
    }

    /// The tenant a copy speaks to: its name, and what a used-up balance means for it.
    private struct Addressee: Sendable {
        let name: String
        let postUsage: PostUsageStatus
    }

    /// Sends one copy and records what became of it; true when it was delivered.
    private func deliver(_ delivery: NotificationDelivery, to tenant: Addressee) async throws -> Bool {
        do {
            if let kept = try await send(delivery, to: tenant) {
                try await stores.notifications.keepInMailbox(delivery.id, message: kept, at: clock.now())
            } else {
                try await stores.notifications.recordDelivered(delivery.id, at: clock.now())
            }
            Self.count(delivery, outcome: "delivered")
            return true
        } catch {
            let failure = error as? DeliveryFailure ?? DeliveryFailure(description: "\(error)", isPermanent: false)
            let retryAt = failure.isPermanent ? nil : DeliveryPolicy.retryAt(after: delivery.attempts, failedAt: clock.now())
            try await stores.notifications.recordFailure(delivery.id, error: failure.description, retryAt: retryAt, at: clock.now())
            Self.count(delivery, outcome: retryAt == nil ? "failed" : "retrying")
            logger.warning(
                retryAt == nil ? "Notification not delivered; giving up" : "Notification not delivered; trying again later",
                metadata: [
                    "notification": "\(delivery.notification.id)", "to": "\(delivery.recipient.address)",
                    "attempt": "\(delivery.attempts)", "error": "\(failure.detail ?? failure.description)",
                ]
            )
            return false
        }
    }

    private func addressNew() async throws {
        for notification in try await stores.notifications.unaddressed(limit: Self.batchSize) {
            let users = try await stores.directory.allUsers(in: notification.tenantId)
            let emails = NotificationRecipients.emailAddresses(of: users).map(NotificationRecipient.email)
            let hooks = try await stores.notifications.webhooks(of: notification.tenantId).map { NotificationRecipient.webhook(id: $0.id) }
            try await stores.notifications.address(notification.id, to: emails + hooks, at: clock.now())
        }
    }

    /// The message to keep in the local mailbox, when the copy went there rather than out.
    private func send(_ delivery: NotificationDelivery, to tenant: Addressee) async throws -> MailboxMessage? {
        let text = NotificationText(delivery.notification, tenantName: tenant.name, postUsage: tenant.postUsage)
        switch delivery.recipient {
        case let .email(address):
            return try await courier.email(text, of: delivery.notification, to: address)
        case let .webhook(id):
            let hooks = try await stores.notifications.webhooks(of: delivery.notification.tenantId)
            guard let webhook = hooks.first(where: { $0.id == id }) else {
                throw DeliveryFailure(description: "The webhook \(id) was removed.", isPermanent: true)
            }
            try await courier.post(delivery.notification, summary: text.subject, to: webhook)
            return nil
        }
    }

    private static func count(_ delivery: NotificationDelivery, outcome: String) {
        Counter(
            label: "commscredits_notifications_sent_total",
            dimensions: [("channel", delivery.recipient.channel), ("outcome", outcome)]
        ).increment()
    }
}

/// Carries one copy of a notification to its recipient, or throws why not (`DeliveryFailure`
/// says whether to try again): over the network in service, simulated in `Simulation`.
public protocol NotificationCourier: Sendable {
    /// Returns the message when it is to be kept in the local mailbox instead of sent.
    func email(_ text: NotificationText, of notification: CreditNotification, to address: String) async throws -> MailboxMessage?
    func post(_ notification: CreditNotification, summary: String, to webhook: Webhook) async throws
}

/// Email through the SMTP relay (into the local mailbox without one), webhooks over HTTP.
struct NetworkCourier: NotificationCourier {
    let mail: Mailer?
    let webhooks: WebhookSender

    func email(_ text: NotificationText, of notification: CreditNotification, to address: String) async throws -> MailboxMessage? {
        guard let mail else { return MailboxMessage(subject: text.subject, text: text.text, html: text.html) }
        try await mail.send(text, of: notification, to: address)
        return nil
    }

    func post(_ notification: CreditNotification, summary: String, to webhook: Webhook) async throws {
        try await webhooks.post(notification, summary: summary, to: webhook, at: SystemClock().now())
    }
}

/// Turns a notification into an email and hands it to the relay.
public struct Mailer: Sendable {
    let client: SMTPClient

    public init(configuration: SMTPConfiguration) throws {
        client = try SMTPClient(configuration: configuration)
    }

    func send(_ text: NotificationText, of notification: CreditNotification, to address: String) async throws {
        let domain = client.configuration.from.split(separator: "@").last.map(String.init) ?? "commscredits"
        let message = MailMessage(
            from: client.configuration.from,
            to: address,
            subject: text.subject,
            text: text.text,
            html: text.html,
            messageId: "notification-\(notification.id).\(Digest.sha256Hex(Array(address.utf8)).prefix(16))@\(domain)",
            date: notification.occurredAt
        )
        do {
            try await client.send(message)
        } catch let error as SMTPError {
            throw DeliveryFailure(description: error.description, isPermanent: error.isPermanent)
        }
    }
}
