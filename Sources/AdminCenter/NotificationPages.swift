import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Notifications
import Reports

/// Notifications: who is told, what was sent, to whom, when, and whether it was delivered;
/// and, when no mail relay is configured, each email as kept in the local mailbox.
struct NotificationPages {
    let pages: PageRenderer
    let directory: DirectoryService
    let records: AccountRecords

    struct Page {
        struct Row {
            let recipient, channel, state: String
            let attempts: Int64
            let finished, lastError: String
            let mailboxLink: String?
        }
        struct Item {
            let id: Int64
            let subject: String
            let when: String
            let balance: String
            let deliveries: [Row]
        }
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onNotifications = true
        let roles: String
        let recipients: String
        let notifications: [Item]
    }

    struct MessagePage {
        let upn, tenantName, csrfToken: String
        let onNotifications = true
        let recipient, sent, subject, text: String
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("notifications") { _, context in
            let tenantId = try context.administrator(may: .readBilling).tenantId
            let tenant = try await directory.tenant(tenantId)
            let (notifications, kept) = try await records.notifications(of: tenantId, before: nil, limit: 100)
            let recipients = NotificationRecipients.emailAddresses(of: try await directory.allUsers(in: tenantId))
            let frame = PageFrame(context, tenantName: tenant.name)
            return pages.render(
                "notifications",
                Page(
                    upn: frame.upn,
                    tenantName: frame.tenantName,
                    csrfToken: frame.csrfToken,
                    roles: Role.allCases.map(\.displayName).sorted().joined(separator: ", "),
                    recipients: recipients.isEmpty
                        ? "No user holds one of them yet, so no email is sent."
                        : "Now \(recipients.count) \(recipients.count == 1 ? "person" : "people"): \(recipients.prefix(10).joined(separator: ", "))\(recipients.count > 10 ? " and \(recipients.count - 10) more" : "").",
                    notifications: notifications.map { record in
                        let notification = record.notification
                        return Page.Item(
                            id: notification.id,
                            subject: NotificationText(notification, tenantName: tenant.name).subject,
                            when: ReadableDate.minute(notification.occurredAt),
                            balance: MoneyText.forPeople(notification.balanceMinor, notification.currency),
                            deliveries: record.deliveries.map { delivery in
                                let inMailbox = kept[delivery.id] != nil
                                return Page.Row(
                                    recipient: delivery.recipient.address,
                                    channel: delivery.recipient.channel,
                                    state: inMailbox ? "in the local mailbox" : delivery.state.rawValue,
                                    attempts: delivery.attempts,
                                    finished: delivery.finishedAt.map(ReadableDate.minute) ?? "",
                                    lastError: delivery.lastError ?? "",
                                    mailboxLink: inMailbox ? "/admin/notifications/mailbox/\(delivery.id)" : nil
                                )
                            }
                        )
                    }
                )
            )
        }
        router.get("notifications/mailbox/:deliveryId") { _, context in
            let tenantId = try context.administrator(may: .readBilling).tenantId
            let tenant = try await directory.tenant(tenantId)
            guard let id = context.parameters.get("deliveryId").flatMap({ Int64($0) }),
                let kept = try await records.keptMail(id, of: tenantId)
            else {
                throw Refusal(.unknownMessage, detail: "There is no such message in this organization's local mailbox.")
            }
            let frame = PageFrame(context, tenantName: tenant.name)
            return pages.render(
                "mailbox-message",
                MessagePage(
                    upn: frame.upn,
                    tenantName: frame.tenantName,
                    csrfToken: frame.csrfToken,
                    recipient: kept.recipient,
                    sent: ReadableDate.minute(kept.keptAt),
                    subject: kept.message.subject,
                    text: kept.message.text
                )
            )
        }
    }
}
