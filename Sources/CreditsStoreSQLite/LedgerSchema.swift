import GRDB

/// The ledger's tables. A migration never changes once shipped: later ones add to it.
/// Instants are integer milliseconds since 1970 in UTC; money is integer minor units.
enum LedgerSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("ledger-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE credit_account (
                        tenant_id TEXT PRIMARY KEY NOT NULL,
                        currency TEXT NOT NULL,
                        debt_minor INTEGER NOT NULL DEFAULT 0 CHECK (debt_minor >= 0),
                        opened_at INTEGER NOT NULL
                    );
                    CREATE TABLE credit_lot (
                        id INTEGER PRIMARY KEY,
                        tenant_id TEXT NOT NULL REFERENCES credit_account(tenant_id),
                        source TEXT NOT NULL CHECK (source IN ('purchase', 'recharge')),
                        amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
                        free_minor INTEGER NOT NULL CHECK (free_minor >= 0),
                        held_minor INTEGER NOT NULL CHECK (held_minor >= 0),
                        forfeited_minor INTEGER NOT NULL CHECK (forfeited_minor >= 0),
                        refunded_minor INTEGER NOT NULL CHECK (refunded_minor >= 0),
                        purchased_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        CHECK (free_minor + held_minor + forfeited_minor + refunded_minor <= amount_minor)
                    );
                    CREATE INDEX credit_lot_by_tenant ON credit_lot(tenant_id, expires_at, purchased_at, id);
                    CREATE INDEX credit_lot_live ON credit_lot(tenant_id, expires_at)
                        WHERE free_minor > 0 OR held_minor > 0;
                    CREATE TABLE credit_hold (
                        tenant_id TEXT NOT NULL REFERENCES credit_account(tenant_id),
                        hold_id TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('open', 'posted', 'voided', 'timedOut')),
                        reserved_minor INTEGER NOT NULL CHECK (reserved_minor >= 0),
                        open_minor INTEGER NOT NULL CHECK (open_minor >= 0),
                        posted_minor INTEGER NOT NULL CHECK (posted_minor >= 0),
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        settled_at INTEGER,
                        PRIMARY KEY (tenant_id, hold_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX credit_hold_due ON credit_hold(expires_at, tenant_id) WHERE state = 'open';
                    CREATE TABLE credit_hold_allocation (
                        tenant_id TEXT NOT NULL,
                        hold_id TEXT NOT NULL,
                        lot_id INTEGER NOT NULL REFERENCES credit_lot(id),
                        amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
                        position INTEGER NOT NULL,
                        PRIMARY KEY (tenant_id, hold_id, lot_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE journal_transaction (
                        id INTEGER PRIMARY KEY,
                        tenant_id TEXT NOT NULL REFERENCES credit_account(tenant_id),
                        idempotency_key TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        occurred_at INTEGER NOT NULL,
                        amount_minor INTEGER NOT NULL,
                        consumed_minor INTEGER NOT NULL,
                        debt_incurred_minor INTEGER NOT NULL,
                        debt_repaid_minor INTEGER NOT NULL,
                        released_minor INTEGER NOT NULL,
                        forfeited_minor INTEGER NOT NULL,
                        lot_id INTEGER,
                        hold_id TEXT,
                        balance_after_minor INTEGER NOT NULL,
                        available_after_minor INTEGER NOT NULL,
                        UNIQUE (tenant_id, idempotency_key)
                    );
                    CREATE INDEX journal_transaction_by_tenant ON journal_transaction(tenant_id, id);
                    CREATE TABLE journal_entry (
                        transaction_id INTEGER NOT NULL REFERENCES journal_transaction(id),
                        position INTEGER NOT NULL,
                        account TEXT NOT NULL,
                        lot_id INTEGER,
                        hold_id TEXT,
                        amount_minor INTEGER NOT NULL,
                        PRIMARY KEY (transaction_id, position)
                    ) WITHOUT ROWID;
                    """
            )
        }
    }
}
