import GRDB

/// Bearer tokens (by the SHA-256 of their secret), administrators' bcrypt password hashes and
/// browser sessions (by the SHA-256 of the cookie), and the first answers to requests sent with
/// an idempotency key. Scopes are kept as a space-separated list.
enum AccessSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("access-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE access_token (
                        id TEXT PRIMARY KEY NOT NULL,
                        secret_hash TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL,
                        tenant_id TEXT REFERENCES tenant(id),
                        scopes TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        revoked_at INTEGER
                    );
                    CREATE INDEX access_token_tenant ON access_token(tenant_id, created_at);
                    CREATE TABLE admin_password (
                        upn TEXT PRIMARY KEY NOT NULL,
                        tenant_id TEXT NOT NULL,
                        password_hash TEXT NOT NULL,
                        FOREIGN KEY (tenant_id, upn) REFERENCES tenant_user(tenant_id, upn)
                    ) WITHOUT ROWID;
                    CREATE TABLE admin_session (
                        secret_hash TEXT PRIMARY KEY NOT NULL,
                        tenant_id TEXT NOT NULL,
                        upn TEXT NOT NULL,
                        csrf_token TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX admin_session_expiry ON admin_session(expires_at);
                    CREATE TABLE idempotent_answer (
                        scope TEXT NOT NULL,
                        key TEXT NOT NULL,
                        fingerprint TEXT NOT NULL,
                        status INTEGER NOT NULL,
                        content_type TEXT,
                        body BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (scope, key)
                    ) WITHOUT ROWID;
                    """
            )
        }
        // Tokens expire (those made before live a year from their making); a sign-in name is
        // unique within its tenant, no longer across tenants; answers kept before keys belonged
        // to their caller, some holding secrets, are forgotten.
        migrator.registerMigration("access-2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE access_token ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
                    UPDATE access_token SET expires_at = created_at + 365 * 86400000;
                    CREATE TABLE admin_password_by_tenant (
                        tenant_id TEXT NOT NULL,
                        upn TEXT NOT NULL,
                        password_hash TEXT NOT NULL,
                        PRIMARY KEY (tenant_id, upn),
                        FOREIGN KEY (tenant_id, upn) REFERENCES tenant_user(tenant_id, upn)
                    ) WITHOUT ROWID;
                    INSERT INTO admin_password_by_tenant (tenant_id, upn, password_hash) SELECT tenant_id, upn, password_hash FROM admin_password;
                    DROP TABLE admin_password;
                    ALTER TABLE admin_password_by_tenant RENAME TO admin_password;
                    CREATE INDEX admin_password_by_name ON admin_password(upn);
                    CREATE INDEX admin_session_by_user ON admin_session(tenant_id, upn);
                    DELETE FROM idempotent_answer;
                    CREATE INDEX idempotent_answer_age ON idempotent_answer(created_at);
                    """
            )
        }
    }
}
