public import CreditsCore
public import CreditsStore
import PostgresNIO

/// The notification outbox in PostgreSQL. Instances share it: a copy is claimed with
/// `FOR UPDATE SKIP LOCKED` and leased, so that only one instance sends it.
public final class PostgresNotificationStore: NotificationStore {
    let database: PostgresDatabase

    init(database: PostgresDatabase) {
        self.database = database
    }

    public func unaddressed(limit: Int) async throws -> [CreditNotification] {
        try await database.read { c in
            var found: [CreditNotification] = []
            for try await row in try await c.query(
                """
                SELECT \(unescaped: NotificationRows.columns) FROM notification n WHERE n.addressed = 0 ORDER BY n.id LIMIT \(Int64(limit))
                """
            ) {
                found.append(try NotificationRows.notification(row))
            }
            return found
        }
    }

    public func address(_ notificationId: Int64, to recipients: [NotificationRecipient], at now: Instant) async throws {
        try await database.transaction { c in
            let addressed = try await c.row(
                "SELECT addressed FROM notification WHERE id = \(notificationId) FOR UPDATE",
                as: Int64.self
            )
            guard addressed == 0 else { return }
            var deliveries = RowsInsert(
                "INSERT INTO notification_delivery (notification_id, channel, address, state, next_attempt_at) VALUES",
                columns: 5,
                tail: "ON CONFLICT (notification_id, channel, address) DO NOTHING"
            )
            for recipient in recipients {
                deliveries.add(
                    .integer(notificationId),
                    .text(recipient.channel),
                    .text(recipient.address),
                    .text("pending"),
                    .integer(now.millisecondsSinceEpoch)
                )
            }
            try await deliveries.run(on: c)
            try await c.run("UPDATE notification SET addressed = 1 WHERE id = \(notificationId)")
        }
    }

    public func claimDueDeliveries(at now: Instant, limit: Int) async throws -> [NotificationDelivery] {
        let lease = now.adding(seconds: DeliveryPolicy.leaseSeconds).millisecondsSinceEpoch
        return try await database.transaction { c in
            let ids = try await c.rows(
                """
                UPDATE notification_delivery SET attempts = attempts + 1, next_attempt_at = \(lease)
                WHERE id IN (SELECT id FROM notification_delivery WHERE state = 'pending' AND next_attempt_at <= \(now.millisecondsSinceEpoch)
                             ORDER BY next_attempt_at, id LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED)
                RETURNING id
                """,
                as: Int64.self
            )
            guard !ids.isEmpty else { return [] }
            var claimed: [NotificationDelivery] = []
            for try await row in try await c.query(
                """
                SELECT \(unescaped: NotificationRows.deliveryColumns), \(unescaped: NotificationRows.columns)
                FROM notification_delivery d JOIN notification n ON n.id = d.notification_id WHERE d.id = ANY(\(ids)) ORDER BY d.id
                """
            ) {
                claimed.append(try NotificationRows.delivery(row))
            }
            return claimed
        }
    }

    public func recordDelivered(_ deliveryId: Int64, at now: Instant) async throws {
        try await database.transaction { c in
            try await c.run(
                """
                UPDATE notification_delivery SET state = 'delivered', finished_at = \(now.millisecondsSinceEpoch), last_error = NULL
                WHERE id = \(deliveryId) AND state = 'pending'
                """
            )
        }
    }

    public func keepInMailbox(_ deliveryId: Int64, message: MailboxMessage, at now: Instant) async throws {
        try await database.transaction { c in
            try await c.run(
                """
                WITH delivered AS (
                    UPDATE notification_delivery SET state = 'delivered', finished_at = \(now.millisecondsSinceEpoch), last_error = NULL
                    WHERE id = \(deliveryId) AND state = 'pending' RETURNING id)
                INSERT INTO mailbox_message (delivery_id, subject, text, html) SELECT id, \(message.subject), \(message.text), \(message.html) FROM delivered
                """
            )
        }
    }

    public func mailbox(of tenantId: TenantId, deliveryIds: [Int64]) async throws -> [Int64: KeptMail] {
        try await database.read { c in
            var messages: [Int64: KeptMail] = [:]
            for try await (id, subject, text, html, recipient, keptAt) in try await c.query(
                """
                SELECT m.delivery_id, m.subject, m.text, m.html, d.address, d.finished_at FROM mailbox_message m
                JOIN notification_delivery d ON d.id = m.delivery_id JOIN notification n ON n.id = d.notification_id
                WHERE n.tenant_id = \(tenantId.rawValue) AND m.delivery_id = ANY(\(deliveryIds))
                """
            ).decode((Int64, String, String, String, String, Int64).self) {
                messages[id] = KeptMail(
                    recipient: recipient,
                    keptAt: Instant(millisecondsSinceEpoch: keptAt),
                    message: MailboxMessage(subject: subject, text: text, html: html)
                )
            }
            return messages
        }
    }

    public func recordFailure(_ deliveryId: Int64, error: String, retryAt: Instant?, at now: Instant) async throws {
        try await database.transaction { c in
            if let retryAt {
                try await c.run(
                    """
                    UPDATE notification_delivery SET next_attempt_at = \(retryAt.millisecondsSinceEpoch), last_error = \(error)
                    WHERE id = \(deliveryId) AND state = 'pending'
                    """
                )
            } else {
                try await c.run(
                    """
                    UPDATE notification_delivery SET state = 'failed', finished_at = \(now.millisecondsSinceEpoch), last_error = \(error)
                    WHERE id = \(deliveryId) AND state = 'pending'
                    """
                )
            }
        }
    }

    public func noteExpiringLots(at now: Instant) async throws -> Int {
        let horizon = now.adding(days: CreditAlerts.expiryNoticeDays.max()!)
        return try await database.transaction { c in
            let lots = try await c.rows(
                """
                SELECT tenant_id, id, free_minor, expires_at FROM credit_lot
                WHERE free_minor > 0 AND expires_at > \(now.millisecondsSinceEpoch) AND expires_at <= \(horizon.millisecondsSinceEpoch) ORDER BY id
                """,
                as: (String, Int64, Int64, Int64).self
            )
            var noted = 0
            for (tenant, lot, free, expiry) in lots {
                let expiresAt = LedgerRows.instant(expiry)
                guard let days = CreditAlerts.expiryNoticeDays(expiresAt: expiresAt, at: now) else { continue }
                if try await NotificationRows.note(
                    .lotExpiring(lotId: LotId(lot), remainingMinor: free, expiresAt: expiresAt, daysAhead: days),
                    of: TenantId(tenant),
                    at: now,
                    c
                ) {
                    noted += 1
                }
            }
            return noted
        }
    }

    public func queuedCount() async throws -> Int {
        try await database.read { c in
            let count = try await c.row(
                """
                SELECT (SELECT count(*) FROM notification_delivery WHERE state = 'pending') + (SELECT count(*) FROM notification WHERE addressed = 0)
                """,
                as: Int64.self
            )
            return Int(count ?? 0)
        }
    }

    public func notifications(for tenantId: TenantId, before: Int64?, limit: Int) async throws -> [NotificationRecord] {
        try await database.read { c in
            var notifications: [CreditNotification] = []
            for try await row in try await c.query(
                """
                SELECT \(unescaped: NotificationRows.columns) FROM notification n WHERE n.tenant_id = \(tenantId.rawValue) AND n.id < \(before ?? Int64.max)
                ORDER BY n.id DESC LIMIT \(Int64(limit))
                """
            ) {
                notifications.append(try NotificationRows.notification(row))
            }
            guard !notifications.isEmpty else { return [] }
            var deliveries: [Int64: [NotificationDelivery]] = [:]
            for try await row in try await c.query(
                """
                SELECT \(unescaped: NotificationRows.deliveryColumns), \(unescaped: NotificationRows.columns)
                FROM notification_delivery d JOIN notification n ON n.id = d.notification_id
                WHERE d.notification_id = ANY(\(notifications.map(\.id))) ORDER BY d.channel, d.address
                """
            ) {
                let delivery = try NotificationRows.delivery(row)
                deliveries[delivery.notification.id, default: []].append(delivery)
            }
            return notifications.map { NotificationRecord(notification: $0, deliveries: deliveries[$0.id] ?? []) }
        }
    }

    // MARK: Webhooks

    public func addWebhook(_ webhook: Webhook) async throws {
        try await database.transaction { c in
            try await c.run(
                """
                INSERT INTO webhook (id, tenant_id, url, secret, created_at)
                VALUES (\(webhook.id), \(webhook.tenantId.rawValue), \(webhook.url), \(webhook.secret), \(webhook.createdAt.millisecondsSinceEpoch))
                """
            )
        }
    }

    public func webhooks(of tenantId: TenantId) async throws -> [Webhook] {
        try await database.read { c in
            try await c.rows(
                """
                SELECT id, url, secret, created_at FROM webhook WHERE tenant_id = \(tenantId.rawValue) AND removed_at IS NULL ORDER BY created_at, id
                """,
                as: (String, String, String, Int64).self
            ).map {
                Webhook(id: $0.0, tenantId: tenantId, url: $0.1, secret: $0.2, createdAt: LedgerRows.instant($0.3))
            }
        }
    }

    public func removeWebhook(_ id: String, of tenantId: TenantId, at now: Instant) async throws -> Bool {
        try await database.transaction { c in
            try await c.run(
                """
                UPDATE webhook SET removed_at = \(now.millisecondsSinceEpoch) WHERE id = \(id) AND tenant_id = \(tenantId.rawValue) AND removed_at IS NULL
                RETURNING id
                """
            ) > 0
        }
    }
}
