public import CreditsCore

/// The notification outbox. The stores write each notification in the transaction of the change
/// that caused it, once per event (`CreditEvent.key`); the dispatcher then addresses it to its
/// recipients and delivers each copy, retrying until it is delivered or finally fails.
public protocol NotificationStore: Sendable {
    /// Notifications not yet addressed, oldest first.
    func unaddressed(limit: Int) async throws -> [CreditNotification]
    /// Records who receives a notification, once; a second call changes nothing.
    func address(_ notificationId: Int64, to recipients: [NotificationRecipient], at now: Instant) async throws
    /// Deliveries due by `now`, each taken for `DeliveryPolicy.leaseSeconds` and counted as an
    /// attempt, so that another sender leaves them alone while this one sends.
    func claimDueDeliveries(at now: Instant, limit: Int) async throws -> [NotificationDelivery]
    func recordDelivered(_ deliveryId: Int64, at now: Instant) async throws
    /// Records an email copy delivered to the local mailbox, keeping the message, in one write.
    func keepInMailbox(_ deliveryId: Int64, message: MailboxMessage, at now: Instant) async throws
    /// The messages kept in the local mailbox for those of `deliveryIds` that are the tenant's.
    func mailbox(of tenantId: TenantId, deliveryIds: [Int64]) async throws -> [Int64: KeptMail]
    /// A failed attempt: tried again at `retryAt`, or failed for good when it is nil.
    func recordFailure(_ deliveryId: Int64, error: String, retryAt: Instant?, at now: Instant) async throws
    /// Notes a notification for each lot with funds whose expiry notice (`CreditAlerts`) is due.
    func noteExpiringLots(at now: Instant) async throws -> Int
    /// Deliveries still waiting to be sent.
    func queuedCount() async throws -> Int
    /// The newest first, older than notification `before` when given, with their deliveries.
    func notifications(for tenantId: TenantId, before: Int64?, limit: Int) async throws -> [NotificationRecord]

    func addWebhook(_ webhook: Webhook) async throws
    /// The tenant's webhooks still registered, oldest first.
    func webhooks(of tenantId: TenantId) async throws -> [Webhook]
    /// False when the tenant has no such webhook.
    func removeWebhook(_ id: String, of tenantId: TenantId, at now: Instant) async throws -> Bool
}
