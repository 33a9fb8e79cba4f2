/// Where one copy of a notification goes.
public enum NotificationRecipient: Hashable, Sendable {
    case email(String)
    case webhook(id: String)

    public var channel: String {
        switch self {
        case .email: "email"
        case .webhook: "webhook"
        }
    }

    public var address: String {
        switch self {
        case let .email(address): address
        case let .webhook(id): id
        }
    }

    public init?(channel: String, address: String) {
        switch channel {
        case "email": self = .email(address)
        case "webhook": self = .webhook(id: address)
        default: return nil
        }
    }
}

/// A URL a tenant registered to receive its notifications, signed with `secret`.
public struct Webhook: Hashable, Sendable {
    public let id: String
    public let tenantId: TenantId
    public let url: String
    public let secret: String
    public let createdAt: Instant

    public init(id: String, tenantId: TenantId, url: String, secret: String, createdAt: Instant) {
        self.id = id
        self.tenantId = tenantId
        self.url = url
        self.secret = secret
        self.createdAt = createdAt
    }

    /// The URL when `WebhookAddress` accepts it under `policy`.
    public static func checkedURL(_ text: String, policy: WebhookAddress.Policy) throws(Refusal) -> String {
        _ = try WebhookAddress.parse(text, policy: policy)
        return text
    }
}

/// One copy of a notification on its way to one recipient.
public struct NotificationDelivery: Hashable, Sendable {
    public enum State: String, Hashable, Sendable { case pending, delivered, failed }

    public let id: Int64
    public let notification: CreditNotification
    public let recipient: NotificationRecipient
    public let state: State
    /// Attempts made, this one included when it was just claimed.
    public let attempts: Int64
    public let lastError: String?
    public let finishedAt: Instant?

    public init(
        id: Int64,
        notification: CreditNotification,
        recipient: NotificationRecipient,
        state: State,
        attempts: Int64,
        lastError: String?,
        finishedAt: Instant?
    ) {
        self.id = id
        self.notification = notification
        self.recipient = recipient
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.finishedAt = finishedAt
    }
}

/// A notification and what became of each of its copies, for the tenant's administrators.
public struct NotificationRecord: Hashable, Sendable {
    public let notification: CreditNotification
    public let deliveries: [NotificationDelivery]

    public init(notification: CreditNotification, deliveries: [NotificationDelivery]) {
        self.notification = notification
        self.deliveries = deliveries
    }
}

/// An email kept in the local mailbox when no mail relay is configured: the message as it
/// would have been sent, for the admin center to show (a demo or a test has mail to read).
public struct MailboxMessage: Hashable, Sendable {
    public let subject: String
    public let text: String
    public let html: String

    public init(subject: String, text: String, html: String) {
        self.subject = subject
        self.text = text
        self.html = html
    }
}

/// A message in the local mailbox, with its recipient and when it was kept.
public struct KeptMail: Hashable, Sendable {
    public let recipient: String
    public let keptAt: Instant
    public let message: MailboxMessage

    public init(recipient: String, keptAt: Instant, message: MailboxMessage) {
        self.recipient = recipient
        self.keptAt = keptAt
        self.message = message
    }
}
