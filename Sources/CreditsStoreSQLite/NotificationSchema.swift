import GRDB

/// The outbox: one row per event (`notification`, unique per tenant and event key), one per
/// copy sent to a recipient (`notification_delivery`), and the tenants' webhooks. An event's
/// facts are kept in generic columns (`reference`, `amount_minor`, `quantity`, `detail`,
/// `due_at`) that `NotificationRows` reads back by kind. Like the ledger's accounts, a
/// notification names its tenant without a foreign key: the ledger stands on its own.
enum NotificationSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("notifications-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE notification (
                        id INTEGER PRIMARY KEY,
                        tenant_id TEXT NOT NULL,
                        event_key TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        occurred_at INTEGER NOT NULL,
                        currency TEXT NOT NULL,
                        balance_minor INTEGER NOT NULL,
                        reference TEXT NOT NULL,
                        amount_minor INTEGER,
                        quantity INTEGER,
                        detail TEXT,
                        due_at INTEGER,
                        addressed INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (tenant_id, event_key)
                    );
                    CREATE INDEX notification_unaddressed ON notification(id) WHERE addressed = 0;
                    CREATE INDEX notification_by_tenant ON notification(tenant_id, id);
                    CREATE TABLE notification_delivery (
                        id INTEGER PRIMARY KEY,
                        notification_id INTEGER NOT NULL REFERENCES notification(id),
                        channel TEXT NOT NULL,
                        address TEXT NOT NULL,
                        state TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at INTEGER NOT NULL,
                        last_error TEXT,
                        finished_at INTEGER,
                        UNIQUE (notification_id, channel, address)
                    );
                    CREATE INDEX notification_delivery_due ON notification_delivery(next_attempt_at) WHERE state = 'pending';
                    CREATE TABLE webhook (
                        id TEXT PRIMARY KEY NOT NULL,
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        url TEXT NOT NULL,
                        secret TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        removed_at INTEGER
                    );
                    CREATE INDEX webhook_by_tenant ON webhook(tenant_id, created_at);
                    """
            )
        }
        // The local mailbox: an email copy as it would have been sent, when no relay is configured.
        migrator.registerMigration("notifications-2") { db in
            try db.execute(
                sql: """
                    CREATE TABLE mailbox_message (
                        delivery_id INTEGER PRIMARY KEY REFERENCES notification_delivery(id),
                        subject TEXT NOT NULL,
                        text TEXT NOT NULL,
                        html TEXT NOT NULL
                    );
                    """
            )
        }
    }
}
