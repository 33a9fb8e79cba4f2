import GRDB

/// Tenants, users, billing settings, purchases, recharges and invoices. Lists that are only
/// ever read whole (roles, licenses, agreements, a payment method) are kept as JSON text.
enum BillingSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("billing-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tenant (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        country TEXT NOT NULL,
                        currency TEXT NOT NULL,
                        channel TEXT NOT NULL CHECK (channel IN ('webDirect', 'volumeLicensing', 'csp')),
                        commerce_model TEXT NOT NULL CHECK (commerce_model IN ('classic', 'nce', 'mca')),
                        agreements TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE tenant_user (
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        upn TEXT NOT NULL,
                        display_name TEXT NOT NULL,
                        usage_location TEXT NOT NULL,
                        roles TEXT NOT NULL,
                        licenses TEXT NOT NULL,
                        PRIMARY KEY (tenant_id, upn)
                    ) WITHOUT ROWID;
                    CREATE TABLE billing_settings (
                        tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenant(id),
                        payment_method TEXT,
                        auto_recharge_enabled INTEGER NOT NULL,
                        recharge_amount_minor INTEGER NOT NULL CHECK (recharge_amount_minor >= 0),
                        trigger_amount_minor INTEGER NOT NULL CHECK (trigger_amount_minor >= 0),
                        updated_at INTEGER NOT NULL
                    );
                    CREATE TABLE purchase (
                        id INTEGER PRIMARY KEY,
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        idempotency_key TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
                        payment_method TEXT NOT NULL,
                        auto_recharge TEXT,
                        created_at INTEGER NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('pending', 'completed', 'failed')),
                        failure TEXT,
                        lot_id INTEGER,
                        invoice_id INTEGER,
                        UNIQUE (tenant_id, idempotency_key)
                    );
                    CREATE INDEX purchase_pending ON purchase(created_at) WHERE state = 'pending';
                    CREATE TABLE recharge (
                        id INTEGER PRIMARY KEY,
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
                        payment_method TEXT,
                        started_at INTEGER NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'stopped')),
                        failure TEXT,
                        finished_at INTEGER,
                        lot_id INTEGER,
                        invoice_id INTEGER
                    );
                    -- At most one recharge in flight per tenant, whatever the application does.
                    CREATE UNIQUE INDEX recharge_in_flight ON recharge(tenant_id) WHERE state = 'pending';
                    CREATE INDEX recharge_by_tenant ON recharge(tenant_id, started_at);
                    CREATE TABLE invoice (
                        id INTEGER PRIMARY KEY,
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        kind TEXT NOT NULL CHECK (kind IN ('purchase', 'recharge')),
                        source_id INTEGER NOT NULL,
                        issued_at INTEGER NOT NULL,
                        amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
                        currency TEXT NOT NULL,
                        payment_method TEXT NOT NULL,
                        lot_id INTEGER NOT NULL,
                        UNIQUE (kind, source_id)
                    );
                    CREATE INDEX invoice_by_tenant ON invoice(tenant_id, id);
                    """
            )
        }
        migrator.registerMigration("billing-2") { db in
            try db.execute(sql: "ALTER TABLE tenant ADD COLUMN usage_retention_days INTEGER NOT NULL DEFAULT 365")
        }
        // The administrative units each user is in, a JSON list of names.
        migrator.registerMigration("billing-4") { db in
            try db.execute(sql: "ALTER TABLE tenant_user ADD COLUMN administrative_units TEXT NOT NULL DEFAULT '[]'")
        }
        // The numbers and SIP addresses of the directory: each held by one tenant, by a user
        // or a resource account.
        migrator.registerMigration("billing-3") { db in
            try db.execute(
                sql: """
                    CREATE TABLE directory_number (
                        identity TEXT PRIMARY KEY NOT NULL,
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        upn TEXT,
                        resource_account TEXT,
                        CHECK ((upn IS NULL) <> (resource_account IS NULL)),
                        FOREIGN KEY (tenant_id, upn) REFERENCES tenant_user(tenant_id, upn)
                    ) WITHOUT ROWID;
                    CREATE INDEX directory_number_by_tenant ON directory_number(tenant_id, identity);
                    """
            )
        }
    }
}
