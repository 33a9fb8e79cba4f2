public import CreditsCore
public import CreditsStore
import GRDB

/// The notification outbox in the shared SQLite file.
public final class SQLiteNotificationStore: NotificationStore {
    let database: DatabasePool

    init(database: DatabasePool) {
        self.database = database
    }

    public func unaddressed(limit: Int) async throws -> [CreditNotification] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(NotificationRows.columns) FROM notification n INDEXED BY notification_unaddressed
                    WHERE n.addressed = 0 ORDER BY n.id LIMIT ?
                    """,
                arguments: [limit]
            ).map { NotificationRows.notification($0) }
        }
    }

    public func address(_ notificationId: Int64, to recipients: [NotificationRecipient], at now: Instant) async throws {
        try await database.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT addressed FROM notification WHERE id = ?", arguments: [notificationId]) == false else { return }
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO notification_delivery (notification_id, channel, address, state, next_attempt_at) VALUES (?, ?, ?, 'pending', ?)
                    ON CONFLICT (notification_id, channel, address) DO NOTHING
                    """
            )
            for recipient in recipients {
                try insert.execute(arguments: [notificationId, recipient.channel, recipient.address, now.millisecondsSinceEpoch])
            }
            try db.execute(sql: "UPDATE notification SET addressed = 1 WHERE id = ?", arguments: [notificationId])
        }
    }

    public func claimDueDeliveries(at now: Instant, limit: Int) async throws -> [NotificationDelivery] {
        // The sender asks every few seconds: an idle outbox is seen without taking the write lock.
        guard try await database.read({ db in try Self.dueIds(at: now, limit: 1, db) }).isEmpty == false else { return [] }
        return try await database.write { db in
            let ids = try Self.dueIds(at: now, limit: limit, db)
            guard !ids.isEmpty else { return [] }
            let idsAsJSON = "[" + ids.map(String.init).joined(separator: ",") + "]"
            try db.execute(
                sql: """
                    UPDATE notification_delivery SET attempts = attempts + 1, next_attempt_at = ?
                    WHERE id IN (SELECT value FROM json_each(?))
                    """,
                arguments: [now.adding(seconds: DeliveryPolicy.leaseSeconds).millisecondsSinceEpoch, idsAsJSON]
            )
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT \(NotificationRows.deliveryColumns), \(NotificationRows.columns)
                    FROM notification_delivery d JOIN notification n ON n.id = d.notification_id
                    WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY d.id
                    """,
                arguments: [idsAsJSON]
            ).map(NotificationRows.delivery)
        }
    }

    private static func dueIds(at now: Instant, limit: Int, _ db: Database) throws -> [Int64] {
        try Int64.fetchAll(
            db,
            sql: """
                SELECT id FROM notification_delivery INDEXED BY notification_delivery_due
                WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                """,
            arguments: [now.millisecondsSinceEpoch, limit]
        )
    }

    public func recordDelivered(_ deliveryId: Int64, at now: Instant) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    UPDATE notification_delivery SET state = 'delivered', finished_at = ?, last_error = NULL WHERE id = ? AND state = 'pending'
                    """,
                arguments: [now.millisecondsSinceEpoch, deliveryId]
            )
        }
    }

    public func keepInMailbox(_ deliveryId: Int64, message: MailboxMessage, at now: Instant) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    UPDATE notification_delivery SET state = 'delivered', finished_at = ?, last_error = NULL WHERE id = ? AND state = 'pending'
                    """,
                arguments: [now.millisecondsSinceEpoch, deliveryId]
            )
            guard db.changesCount == 1 else { return }
            try db.execute(
                sql: "INSERT INTO mailbox_message (delivery_id, subject, text, html) VALUES (?, ?, ?, ?)",
                arguments: [deliveryId, message.subject, message.text, message.html]
            )
        }
    }

    public func mailbox(of tenantId: TenantId, deliveryIds: [Int64]) async throws -> [Int64: KeptMail] {
        try await database.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.delivery_id, m.subject, m.text, m.html, d.address, d.finished_at FROM mailbox_message m
                    JOIN notification_delivery d ON d.id = m.delivery_id JOIN notification n ON n.id = d.notification_id
                    WHERE n.tenant_id = ? AND m.delivery_id IN (SELECT value FROM json_each(?))
                    """,
                arguments: [tenantId.rawValue, "[" + deliveryIds.map(String.init).joined(separator: ",") + "]"]
            )
            return Dictionary(
                uniqueKeysWithValues: rows.map { row in
                    (
                        row[0] as Int64,
                        KeptMail(
                            recipient: row[4],
                            keptAt: Instant(millisecondsSinceEpoch: row[5]),
                            message: MailboxMessage(subject: row[1], text: row[2], html: row[3])
                        )
                    )
                }
            )
        }
    }

    public func recordFailure(_ deliveryId: Int64, error: String, retryAt: Instant?, at now: Instant) async throws {
        try await database.write { db in
            if let retryAt {
                try db.execute(
                    sql: "UPDATE notification_delivery SET next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'pending'",
                    arguments: [retryAt.millisecondsSinceEpoch, error, deliveryId]
                )
            } else {
                try db.execute(
                    sql: """
                        UPDATE notification_delivery SET state = 'failed', finished_at = ?, last_error = ? WHERE id = ? AND state = 'pending'
                        """,
                    arguments: [now.millisecondsSinceEpoch, error, deliveryId]
                )
            }
        }
    }

    public func noteExpiringLots(at now: Instant) async throws -> Int {
        let horizon = now.adding(days: CreditAlerts.expiryNoticeDays.max()!)
        return try await database.write { db in
            let lots = try Row.fetchAll(
                db,
                sql: """
                    SELECT tenant_id, id, free_minor, expires_at FROM credit_lot
                    WHERE free_minor > 0 AND expires_at > ? AND expires_at <= ? ORDER BY id
                    """,
                arguments: [now.millisecondsSinceEpoch, horizon.millisecondsSinceEpoch]
            )
            let before = db.totalChangesCount
            for lot in lots {
                let expiresAt = Instant(millisecondsSinceEpoch: lot[3])
                guard let days = CreditAlerts.expiryNoticeDays(expiresAt: expiresAt, at: now) else { continue }
                try NotificationRows.note(
                    .lotExpiring(lotId: LotId(lot[1]), remainingMinor: lot[2], expiresAt: expiresAt, daysAhead: days),
                    of: TenantId(lot[0]),
                    at: now,
                    db
                )
            }
            return db.totalChangesCount - before
        }
    }

    public func queuedCount() async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT (SELECT count(*) FROM notification_delivery INDEXED BY notification_delivery_due WHERE state = 'pending')
                         + (SELECT count(*) FROM notification INDEXED BY notification_unaddressed WHERE addressed = 0)
                    """
            ) ?? 0
        }
    }

    public func notifications(for tenantId: TenantId, before: Int64?, limit: Int) async throws -> [NotificationRecord] {
        try await database.read { db in
            let notifications = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(NotificationRows.columns) FROM notification n WHERE n.tenant_id = ? AND n.id < ? ORDER BY n.id DESC LIMIT ?
                    """,
                arguments: [tenantId.rawValue, before ?? Int64.max, limit]
            ).map { NotificationRows.notification($0) }
            let deliveriesOf = try db.cachedStatement(
                sql: """
                    SELECT \(NotificationRows.deliveryColumns), \(NotificationRows.columns)
                    FROM notification_delivery d JOIN notification n ON n.id = d.notification_id
                    WHERE d.notification_id = ? ORDER BY d.channel, d.address
                    """
            )
            return try notifications.map { notification in
                NotificationRecord(
                    notification: notification,
                    deliveries: try Row.fetchAll(deliveriesOf, arguments: [notification.id]).map(NotificationRows.delivery)
                )
            }
        }
    }

    // MARK: Webhooks

    public func addWebhook(_ webhook: Webhook) async throws {
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO webhook (id, tenant_id, url, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [webhook.id, webhook.tenantId.rawValue, webhook.url, webhook.secret, webhook.createdAt.millisecondsSinceEpoch]
            )
        }
    }

    public func webhooks(of tenantId: TenantId) async throws -> [Webhook] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, url, secret, created_at FROM webhook WHERE tenant_id = ? AND removed_at IS NULL ORDER BY created_at, id
                    """,
                arguments: [tenantId.rawValue]
            ).map { row in
                Webhook(id: row[0], tenantId: tenantId, url: row[1], secret: row[2], createdAt: Instant(millisecondsSinceEpoch: row[3]))
            }
        }
    }

    public func removeWebhook(_ id: String, of tenantId: TenantId, at now: Instant) async throws -> Bool {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE webhook SET removed_at = ? WHERE id = ? AND tenant_id = ? AND removed_at IS NULL",
                arguments: [now.millisecondsSinceEpoch, id, tenantId.rawValue]
            )
            return db.changesCount > 0
        }
    }
}
