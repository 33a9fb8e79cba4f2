import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Notifications
import Reports

/// What the tenant's administrators were told (`.../credits/notifications`) and the webhooks
/// it registered (`.../webhooks`).
struct NotificationRoutes {
    let directory: DirectoryService
    let webhooks: WebhookRegistry
    let records: AccountRecords

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("v1/tenants/:tenantId/credits/notifications") { request, context in
            let tenant = try await directory.tenant(context.tenantId(for: .readBilling))
            let limit = try request.limit()
            let (notifications, kept) = try await records.notifications(of: tenant.id, before: request.beforeCursor(), limit: limit)
            return NotificationList(notifications, keptInMailbox: Set(kept.keys), tenantName: tenant.name, limit: limit)
        }
        let hooks = router.group("v1/tenants/:tenantId/webhooks")
        hooks.post { request, context in
            let tenant = try await directory.tenant(context.tenantId(for: .administerTenant))
            let input = try await request.decodeJSON(WebhookInput.self, context: context)
            let webhook = try await webhooks.register(url: input.url, for: tenant.id)
            return EditedResponse(
                status: .created,
                headers: [IdempotencyMiddleware.secretFieldHeader: "secret"],
                response: WebhookBody(webhook, showingSecret: true)
            )
        }
        hooks.get { _, context in
            let tenant = try await directory.tenant(context.tenantId(for: .administerTenant))
            return WebhookList(webhooks: try await webhooks.webhooks(of: tenant.id).map { WebhookBody($0, showingSecret: false) })
        }
        hooks.delete(":webhookId") { _, context in
            let tenant = try await directory.tenant(context.tenantId(for: .administerTenant))
            try await webhooks.remove(try context.parameters.require("webhookId"), of: tenant.id)
            return Response(status: .noContent)
        }
    }
}

struct WebhookInput: Decodable {
    let url: String
}

struct WebhookBody: ResponseEncodable {
    let id: String
    let url: String
    /// Shown once, when the webhook is registered: the key of its signatures.
    let secret: String?
    let createdAt: String

    init(_ webhook: Webhook, showingSecret: Bool) {
        id = webhook.id
        url = webhook.url
        secret = showingSecret ? webhook.secret : nil
        createdAt = ISO8601.format(webhook.createdAt)
    }
}

struct WebhookList: ResponseEncodable {
    let webhooks: [WebhookBody]
}

struct NotificationList: ResponseEncodable {
    struct NotificationBody: Encodable {
        let id: Int64
        let type: String
        let occurredAt: String
        let subject: String
        let balanceMinor: Int64
        let currency: String
        let deliveries: [DeliveryBody]
    }

    struct DeliveryBody: Encodable {
        let channel: String
        let recipient: String
        let state: String
        let attempts: Int64
        let lastError: String?
        let finishedAt: String?
        /// No mail relay is configured: the email was kept in the local mailbox, not sent.
        let keptInLocalMailbox: Bool
    }

    let notifications: [NotificationBody]
    let next: Int64?

    init(_ records: [NotificationRecord], keptInMailbox: Set<Int64>, tenantName: String, limit: Int) {
        notifications = records.map { record in
            let notification = record.notification
            return NotificationBody(
                id: notification.id,
                type: notification.event.kind.rawValue,
                occurredAt: ISO8601.format(notification.occurredAt),
                subject: NotificationText(notification, tenantName: tenantName).subject,
                balanceMinor: notification.balanceMinor,
                currency: notification.currency.code,
                deliveries: record.deliveries.map { delivery in
                    DeliveryBody(
                        channel: delivery.recipient.channel,
                        recipient: delivery.recipient.address,
                        state: delivery.state.rawValue,
                        attempts: delivery.attempts,
                        lastError: delivery.lastError,
                        finishedAt: delivery.finishedAt.map(ISO8601.format),
                        keptInLocalMailbox: keptInMailbox.contains(delivery.id)
                    )
                }
            )
        }
        next = records.count == limit ? records.last?.notification.id : nil
    }
}
