import GRDB

/// Rates, call sessions and their answers, minute pools, usage records and post-usage invoices.
enum CallSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("calls-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE rate (
                        currency TEXT NOT NULL,
                        prefix TEXT NOT NULL,
                        effective_from TEXT NOT NULL,
                        destination TEXT NOT NULL,
                        number_type TEXT NOT NULL,
                        rate_micros INTEGER NOT NULL CHECK (rate_micros >= 0),
                        fee_micros INTEGER NOT NULL CHECK (fee_micros >= 0),
                        first_increment INTEGER NOT NULL CHECK (first_increment > 0),
                        next_increment INTEGER NOT NULL CHECK (next_increment > 0),
                        PRIMARY KEY (currency, prefix, effective_from)
                    ) WITHOUT ROWID;
                    CREATE TABLE call_session (
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        session_id TEXT NOT NULL,
                        call_type TEXT NOT NULL,
                        upn TEXT,
                        display_name TEXT,
                        usage_location TEXT,
                        caller TEXT NOT NULL,
                        callee TEXT NOT NULL,
                        start_time INTEGER NOT NULL,
                        start_request INTEGER NOT NULL,
                        rate TEXT,
                        capability TEXT,
                        pool TEXT,
                        pool_units_per_second INTEGER NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('open', 'ended', 'expired', 'refused')),
                        granted_seconds INTEGER NOT NULL,
                        used_seconds INTEGER NOT NULL,
                        held_minor INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        last_request INTEGER NOT NULL,
                        PRIMARY KEY (tenant_id, session_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX call_session_open ON call_session(expires_at) WHERE state = 'open';
                    CREATE TABLE call_answer (
                        tenant_id TEXT NOT NULL,
                        session_id TEXT NOT NULL,
                        request_number INTEGER NOT NULL,
                        fingerprint TEXT NOT NULL,
                        answer TEXT NOT NULL,
                        PRIMARY KEY (tenant_id, session_id, request_number)
                    ) WITHOUT ROWID;
                    CREATE TABLE minute_pool (
                        tenant_id TEXT NOT NULL,
                        month TEXT NOT NULL,
                        pool TEXT NOT NULL,
                        used INTEGER NOT NULL,
                        PRIMARY KEY (tenant_id, month, pool)
                    ) WITHOUT ROWID;
                    CREATE TABLE usage_record (
                        tenant_id TEXT NOT NULL,
                        usage_id TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        call_id TEXT NOT NULL,
                        conference_id TEXT,
                        user_location TEXT,
                        user_object_id TEXT,
                        upn TEXT,
                        user_display_name TEXT,
                        caller TEXT NOT NULL,
                        call_type TEXT NOT NULL,
                        number_type TEXT,
                        domestic INTEGER NOT NULL,
                        destination_name TEXT,
                        destination_number TEXT NOT NULL,
                        external_country TEXT,
                        start_time INTEGER NOT NULL,
                        end_time INTEGER NOT NULL,
                        duration_seconds INTEGER NOT NULL,
                        billed_seconds INTEGER NOT NULL,
                        message_units INTEGER NOT NULL,
                        fee_minor INTEGER NOT NULL,
                        charge_minor INTEGER NOT NULL,
                        currency TEXT NOT NULL,
                        capability TEXT NOT NULL,
                        pool TEXT,
                        pool_units INTEGER NOT NULL,
                        source TEXT NOT NULL,
                        administrative_units TEXT,
                        PRIMARY KEY (tenant_id, usage_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX usage_record_by_start ON usage_record(tenant_id, start_time, usage_id);
                    CREATE TABLE post_usage_invoice (
                        id INTEGER PRIMARY KEY,
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        month TEXT NOT NULL,
                        issued_at INTEGER NOT NULL,
                        amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
                        currency TEXT NOT NULL,
                        records INTEGER NOT NULL,
                        UNIQUE (tenant_id, month)
                    );
                    """
            )
        }
        // Records of calls real time would have refused for a missing license say so.
        migrator.registerMigration("calls-2") { db in
            try db.execute(sql: "ALTER TABLE usage_record ADD COLUMN unlicensed_use INTEGER NOT NULL DEFAULT 0")
        }
        // Every write to what a tenant's calls are judged on counts in its version, whoever
        // writes (this server, the command line, another process): a state kept in memory is
        // used only while the version is the one it last wrote or read (`TenantCallsCache`).
        migrator.registerMigration("calls-3") { db in
            try db.execute(sql: "CREATE TABLE tenant_version (tenant_id TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID")
            for trigger in tenantVersionTriggers { try createVersionTriggers(trigger, db) }
        }
        // A session may be cancelled (it never connected), says when it was answered, and keeps
        // the platform's call id. SQLite cannot change a CHECK, so the table is built again.
        migrator.registerMigration("calls-4") { db in
            try db.execute(
                sql: """
                    CREATE TABLE call_session_new (
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        session_id TEXT NOT NULL,
                        call_type TEXT NOT NULL,
                        upn TEXT,
                        display_name TEXT,
                        usage_location TEXT,
                        caller TEXT NOT NULL,
                        callee TEXT NOT NULL,
                        start_time INTEGER NOT NULL,
                        start_request INTEGER NOT NULL,
                        rate TEXT,
                        capability TEXT,
                        pool TEXT,
                        pool_units_per_second INTEGER NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('open', 'ended', 'expired', 'refused', 'cancelled')),
                        granted_seconds INTEGER NOT NULL,
                        used_seconds INTEGER NOT NULL,
                        held_minor INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        last_request INTEGER NOT NULL,
                        answered_at INTEGER,
                        call_id TEXT,
                        PRIMARY KEY (tenant_id, session_id)
                    ) WITHOUT ROWID;
                    INSERT INTO call_session_new SELECT *, NULL, NULL FROM call_session;
                    DROP TABLE call_session;
                    ALTER TABLE call_session_new RENAME TO call_session;
                    CREATE INDEX call_session_open ON call_session(expires_at) WHERE state = 'open';
                    """
            )
            for trigger in tenantVersionTriggers where trigger.table == "call_session" { try createVersionTriggers(trigger, db) }
        }
        // Call controls, one document per tenant that its calls are judged on, and the audit
        // trail of their changes.
        migrator.registerMigration("calls-5") { db in
            try db.execute(
                sql: """
                    CREATE TABLE call_controls (
                        tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenant(id),
                        document TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE control_change (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        at INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        before TEXT NOT NULL,
                        after TEXT NOT NULL
                    );
                    CREATE INDEX control_change_by_tenant ON control_change(tenant_id, id);
                    """
            )
            try createVersionTriggers(("call_controls", "tenant_id", ["INSERT", "UPDATE"]), db)
        }
        // What the calls of each user with a spend limit spent of the credits in a month. Only
        // the calls and a change of the controls (which bumps the version itself) write it.
        migrator.registerMigration("calls-6") { db in
            try db.execute(
                sql: """
                    CREATE TABLE user_spend (
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        upn TEXT NOT NULL,
                        month TEXT NOT NULL,
                        spent_minor INTEGER NOT NULL,
                        PRIMARY KEY (tenant_id, month, upn)
                    ) WITHOUT ROWID
                    """
            )
        }
        // How many starts were refused a day, by reason: the report of refused calls.
        migrator.registerMigration("calls-7") { db in
            try db.execute(
                sql: """
                    CREATE TABLE refused_call (
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        day TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        calls INTEGER NOT NULL,
                        PRIMARY KEY (tenant_id, day, reason)
                    ) WITHOUT ROWID
                    """
            )
        }
        // The velocity alarm's credit spend by minute, for the sliding hour (only the calls
        // writer writes it; a resume that clears it changes the controls, which are versioned).
        migrator.registerMigration("calls-8") { db in
            try db.execute(
                sql: """
                    CREATE TABLE credit_spend_minute (
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        minute INTEGER NOT NULL,
                        spent_minor INTEGER NOT NULL,
                        PRIMARY KEY (tenant_id, minute)
                    ) WITHOUT ROWID
                    """
            )
        }
        // The administrative units of a call's user when it started, for its usage record.
        migrator.registerMigration("calls-9") { db in
            try db.execute(sql: "ALTER TABLE call_session ADD COLUMN administrative_units TEXT")
        }
        // What the calls of each administrative unit with a spend limit spent of the credits in
        // a month, written as `user_spend` is.
        migrator.registerMigration("calls-10") { db in
            try db.execute(
                sql: """
                    CREATE TABLE unit_spend (
                        tenant_id TEXT NOT NULL REFERENCES tenant(id),
                        unit TEXT NOT NULL,
                        month TEXT NOT NULL,
                        spent_minor INTEGER NOT NULL,
                        PRIMARY KEY (tenant_id, month, unit)
                    ) WITHOUT ROWID
                    """
            )
        }
    }

    /// The triggers that count every write of `table` in its tenant's version.
    private static func createVersionTriggers(_ trigger: (table: String, tenantColumn: String, events: [String]), _ db: Database) throws {
        for event in trigger.events {
            let row = event == "DELETE" ? "OLD" : "NEW"
            try db.execute(
                sql: """
                    CREATE TRIGGER \(trigger.table)_\(event.lowercased())_version AFTER \(event) ON \(trigger.table) BEGIN
                        INSERT INTO tenant_version (tenant_id, version) VALUES (\(row).\(trigger.tenantColumn), 1)
                        ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1;
                    END
                    """
            )
        }
    }

    /// The tables whose rows `TenantCalls` keeps in memory, the column naming their tenant, and
    /// the writes that change them.
    static let tenantVersionTriggers: [(table: String, tenantColumn: String, events: [String])] = [
        ("tenant", "id", ["UPDATE", "DELETE"]),
        ("tenant_user", "tenant_id", ["INSERT", "UPDATE", "DELETE"]),
        ("billing_settings", "tenant_id", ["INSERT", "UPDATE"]),
        ("credit_account", "tenant_id", ["INSERT", "UPDATE"]),
        ("credit_lot", "tenant_id", ["INSERT", "UPDATE"]),
        ("credit_hold", "tenant_id", ["INSERT", "UPDATE"]),
        ("minute_pool", "tenant_id", ["INSERT", "UPDATE"]),
        ("call_session", "tenant_id", ["INSERT", "UPDATE", "DELETE"]),
    ]
}
