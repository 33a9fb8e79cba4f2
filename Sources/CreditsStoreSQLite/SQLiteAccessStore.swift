public import CreditsCore
public import CreditsStore
import GRDB

/// Tokens, passwords and sessions in the shared SQLite file. Writes are rare (a token created,
/// a sign-in), so they go straight to the pool rather than through the group commit.
public final class SQLiteAccessStore: AccessStore {
    let database: DatabasePool

    init(database: DatabasePool) {
        self.database = database
    }

    public func createToken(_ token: AccessToken, secretHash: String) async throws {
        try await database.write { db in
            if let tenantId = token.tenantId {
                guard try Row.fetchOne(db, sql: "SELECT 1 FROM tenant WHERE id = ?", arguments: [tenantId.rawValue]) != nil else {
                    throw Refusal.unknownTenant(tenantId)
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO access_token (id, secret_hash, name, tenant_id, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    token.id, secretHash, token.name, token.tenantId?.rawValue,
                    token.scopes.sorted().map(\.rawValue).joined(separator: " "), token.createdAt.millisecondsSinceEpoch,
                    token.expiresAt.millisecondsSinceEpoch,
                ]
            )
        }
    }

    public func token(secretHash: String) async throws -> AccessToken? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM access_token WHERE secret_hash = ?", arguments: [secretHash]).map(Self.token)
        }
    }

    public func tokens(of tenantId: TenantId?) async throws -> [AccessToken] {
        try await database.read { db in
            let rows =
                if let tenantId {
                    try Row.fetchAll(
                        db,
                        sql: "SELECT * FROM access_token WHERE tenant_id = ? ORDER BY created_at DESC, id",
                        arguments: [tenantId.rawValue]
                    )
                } else {
                    try Row.fetchAll(db, sql: "SELECT * FROM access_token ORDER BY created_at DESC, id")
                }
            return rows.map(Self.token)
        }
    }

    public func revokeToken(_ id: String, of tenantId: TenantId?, at: Instant) async throws -> AccessToken? {
        try await database.write { db in
            let tenant = "(? IS NULL OR tenant_id = ?)"
            try db.execute(
                sql: "UPDATE access_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND \(tenant)",
                arguments: [at.millisecondsSinceEpoch, id, tenantId?.rawValue, tenantId?.rawValue]
            )
            return try Row.fetchOne(
                db,
                sql: "SELECT * FROM access_token WHERE id = ? AND \(tenant)",
                arguments: [id, tenantId?.rawValue, tenantId?.rawValue]
            ).map(Self.token)
        }
    }

    public func setPasswordHash(_ hash: String, for upn: UserPrincipalName, in tenantId: TenantId) async throws {
        try await database.write { db in
            guard
                try Row.fetchOne(
                    db,
                    sql: "SELECT 1 FROM tenant_user WHERE tenant_id = ? AND upn = ?",
                    arguments: [tenantId.rawValue, upn.rawValue]
                ) != nil
            else {
                throw Refusal.unknownUser(upn.rawValue)
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO admin_password (tenant_id, upn, password_hash) VALUES (?, ?, ?)",
                arguments: [tenantId.rawValue, upn.rawValue, hash]
            )
            try db.execute(sql: "DELETE FROM admin_session WHERE tenant_id = ? AND upn = ?", arguments: [tenantId.rawValue, upn.rawValue])
        }
    }

    public func passwordHashes(for upn: UserPrincipalName) async throws -> [StoredPassword] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT tenant_id, password_hash FROM admin_password WHERE upn = ? ORDER BY tenant_id",
                arguments: [upn.rawValue]
            )
            .map { StoredPassword(tenantId: TenantId($0["tenant_id"]), hash: $0["password_hash"]) }
        }
    }

    public func createSession(_ session: AdminSession, secretHash: String) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO admin_session (secret_hash, tenant_id, upn, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    secretHash, session.tenantId.rawValue, session.upn.rawValue, session.csrfToken,
                    session.createdAt.millisecondsSinceEpoch, session.expiresAt.millisecondsSinceEpoch,
                ]
            )
        }
    }

    public func session(secretHash: String) async throws -> AdminSession? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM admin_session WHERE secret_hash = ?", arguments: [secretHash]).map { row in
                AdminSession(
                    tenantId: TenantId(row["tenant_id"]),
                    upn: UserPrincipalName(stored: row["upn"]),
                    csrfToken: row["csrf_token"],
                    createdAt: Instant(millisecondsSinceEpoch: row["created_at"]),
                    expiresAt: Instant(millisecondsSinceEpoch: row["expires_at"])
                )
            }
        }
    }

    public func endSession(secretHash: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM admin_session WHERE secret_hash = ?", arguments: [secretHash])
        }
    }

    public func endExpiredSessions(at now: Instant) async throws -> Int {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM admin_session WHERE expires_at <= ?", arguments: [now.millisecondsSinceEpoch])
            return db.changesCount
        }
    }

    private static func token(_ row: Row) -> AccessToken {
        AccessToken(
            id: row["id"],
            name: row["name"],
            tenantId: (row["tenant_id"] as String?).map(TenantId.init),
            scopes: Set((row["scopes"] as String).split(separator: " ").compactMap { Scope(rawValue: String($0)) }),
            createdAt: Instant(millisecondsSinceEpoch: row["created_at"]),
            expiresAt: Instant(millisecondsSinceEpoch: row["expires_at"]),
            revokedAt: (row["revoked_at"] as Int64?).map(Instant.init(millisecondsSinceEpoch:))
        )
    }
}
