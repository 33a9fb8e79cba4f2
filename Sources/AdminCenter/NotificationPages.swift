import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Notifications

/// Notifications: what was sent, to whom, when, and whether it was delivered.
struct NotificationPages {
    let pages: PageRenderer
    let directory: DirectoryService
    let stores: Stores

    struct Page {
        struct Row { let recipient: String; let channel: String; let state: String; let attempts: Int64; let finished: String; let lastError: String }
        struct Item { let id: Int64; let subject: String; let when: String; let balance: String; let deliveries: [Row] }
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onNotifications = true
        let notifications: [Item]
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("notifications") { _, context in
            let tenantId = try context.administrator(may: .readBilling).tenantId
            let tenant = try await directory.tenant(tenantId)
            let records = try await stores.notifications.notifications(for: tenantId, before: nil, limit: 100)
            let frame = PageFrame(context, tenantName: tenant.name)
            return pages.render("notifications", Page(upn: frame.upn, tenantName: frame.tenantName, csrfToken: frame.csrfToken, notifications: records.map { record in
                let notification = record.notification
                return Page.Item(
                    id: notification.id, subject: NotificationText(notification, tenantName: tenant.name).subject,
                    when: minuteText(notification.occurredAt),
                    balance: MoneyText.withCode(notification.balanceMinor, notification.currency),
                    deliveries: record.deliveries.map { delivery in
                        Page.Row(recipient: delivery.recipient.address, channel: delivery.recipient.channel, state: delivery.state.rawValue,
                                 attempts: delivery.attempts, finished: delivery.finishedAt.map(ISO8601.format) ?? "", lastError: delivery.lastError ?? "")
                    })
            }))
        }
    }
}
