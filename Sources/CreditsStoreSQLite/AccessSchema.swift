import GRDB

/// Bearer tokens (by the SHA-256 of their secret), administrators' bcrypt password hashes and
/// browser sessions (by the SHA-256 of the cookie), and the first answers to requests sent with
/// an idempotency key. Scopes are kept as a space-separated list.
enum AccessSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("access-1") { db in
            try db.execute(sql: """
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
                """)
        }
    }
}
