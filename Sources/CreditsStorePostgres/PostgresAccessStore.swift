public import CreditsCore
public import CreditsStore
import Logging
import PostgresNIO

/// Tokens, passwords and sessions in PostgreSQL.
public final class PostgresAccessStore: AccessStore {
    let database: PostgresDatabase

    init(database: PostgresDatabase) {
        self.database = database
    }

    public func createToken(_ token: AccessToken, secretHash: String) async throws {
        try await database.transaction { c in
            if let tenantId = token.tenantId, try await DirectoryRows.tenant(tenantId, c) == nil {
                throw Refusal.unknownTenant(tenantId)
            }
            try await c.run(
                """
                INSERT INTO access_token (id, secret_hash, name, tenant_id, scopes, created_at, expires_at)
                VALUES (\(token.id), \(secretHash), \(token.name), \(token.tenantId?.rawValue), \(token.scopes.sorted().map(\.rawValue).joined(separator: " ")),
                        \(token.createdAt.millisecondsSinceEpoch), \(token.expiresAt.millisecondsSinceEpoch))
                """
            )
        }
    }

    public func token(secretHash: String) async throws -> AccessToken? {
        try await database.read { c in
            try await c.records(
                "SELECT \(unescaped: Self.tokenColumns) FROM access_token WHERE secret_hash = \(secretHash)",
                Self.token
            ).first
        }
    }

    public func tokens(of tenantId: TenantId?) async throws -> [AccessToken] {
        try await database.read { c in
            try await c.records(
                """
                SELECT \(unescaped: Self.tokenColumns) FROM access_token WHERE \(tenantId?.rawValue)::text IS NULL OR tenant_id = \(tenantId?.rawValue)
                ORDER BY created_at DESC, id
                """,
                Self.token
            )
        }
    }

    public func revokeToken(_ id: String, of tenantId: TenantId?, at: Instant) async throws -> AccessToken? {
        try await database.transaction { c in
            try await c.run(
                """
                UPDATE access_token SET revoked_at = \(at.millisecondsSinceEpoch)
                WHERE id = \(id) AND revoked_at IS NULL AND (\(tenantId?.rawValue)::text IS NULL OR tenant_id = \(tenantId?.rawValue))
                """
            )
            return try await c.records(
                """
                SELECT \(unescaped: Self.tokenColumns) FROM access_token WHERE id = \(id) AND (\(tenantId?.rawValue)::text IS NULL OR tenant_id = \(tenantId?.rawValue))
                """,
                Self.token
            ).first
        }
    }

    public func setPasswordHash(_ hash: String, for upn: UserPrincipalName, in tenantId: TenantId) async throws {
        try await database.transaction { c in
            guard try await DirectoryRows.user(upn, in: tenantId, c) != nil else { throw Refusal.unknownUser(upn.rawValue) }
            try await c.run(
                """
                INSERT INTO admin_password (upn, tenant_id, password_hash) VALUES (\(upn.rawValue), \(tenantId.rawValue), \(hash))
                ON CONFLICT (tenant_id, upn) DO UPDATE SET password_hash = excluded.password_hash
                """
            )
            try await c.run("DELETE FROM admin_session WHERE tenant_id = \(tenantId.rawValue) AND upn = \(upn.rawValue)")
        }
    }

    public func passwordHashes(for upn: UserPrincipalName) async throws -> [StoredPassword] {
        let found = try await database.read { c in
            try await c.rows(
                "SELECT tenant_id, password_hash FROM admin_password WHERE upn = \(upn.rawValue) ORDER BY tenant_id",
                as: (String, String).self
            )
        }
        return found.map { StoredPassword(tenantId: TenantId($0.0), hash: $0.1) }
    }

    public func createSession(_ session: AdminSession, secretHash: String) async throws {
        try await database.transaction { c in
            try await c.run(
                """
                INSERT INTO admin_session (secret_hash, tenant_id, upn, csrf_token, created_at, expires_at)
                VALUES (\(secretHash), \(session.tenantId.rawValue), \(session.upn.rawValue), \(session.csrfToken), \(session.createdAt.millisecondsSinceEpoch),
                        \(session.expiresAt.millisecondsSinceEpoch))
                """
            )
        }
    }

    public func session(secretHash: String) async throws -> AdminSession? {
        let found = try await database.read { c in
            try await c.row(
                "SELECT tenant_id, upn, csrf_token, created_at, expires_at FROM admin_session WHERE secret_hash = \(secretHash)",
                as: (String, String, String, Int64, Int64).self
            )
        }
        return found.map {
            AdminSession(
                tenantId: TenantId($0.0),
                upn: UserPrincipalName(stored: $0.1),
                csrfToken: $0.2,
                createdAt: LedgerRows.instant($0.3),
                expiresAt: LedgerRows.instant($0.4)
            )
        }
    }

    public func endSession(secretHash: String) async throws {
        try await database.transaction { c in try await c.run("DELETE FROM admin_session WHERE secret_hash = \(secretHash)") }
    }

    public func endExpiredSessions(at now: Instant) async throws -> Int {
        try await database.transaction { c in
            try await c.run("DELETE FROM admin_session WHERE expires_at <= \(now.millisecondsSinceEpoch) RETURNING secret_hash")
        }
    }

    private static let tokenColumns = "id, name, tenant_id, scopes, created_at, revoked_at, expires_at"

    private static func token(_ row: PostgresRow) throws -> AccessToken {
        let r = try row.decode((String, String, String?, String, Int64, Int64?, Int64).self)
        return AccessToken(
            id: r.0,
            name: r.1,
            tenantId: r.2.map(TenantId.init),
            scopes: Set(r.3.split(separator: " ").compactMap { Scope(rawValue: String($0)) }),
            createdAt: LedgerRows.instant(r.4),
            expiresAt: LedgerRows.instant(r.6),
            revokedAt: r.5.map(LedgerRows.instant)
        )
    }
}

/// Answers kept under their idempotency keys, in PostgreSQL.
public final class PostgresAnswerStore: AnswerStore {
    let database: PostgresDatabase

    init(database: PostgresDatabase) {
        self.database = database
    }

    public func answer(scope: String, key: String) async throws -> StoredAnswer? {
        let found = try await database.read { c in
            try await c.row(
                "SELECT fingerprint, status, content_type, body, created_at FROM idempotent_answer WHERE scope = \(scope) AND key = \(key)",
                as: (String, Int64, String?, ByteBuffer, Int64).self
            )
        }
        return found.map {
            StoredAnswer(
                fingerprint: $0.0,
                status: Int($0.1),
                contentType: $0.2,
                body: Array($0.3.readableBytesView),
                keptAt: Instant(millisecondsSinceEpoch: $0.4)
            )
        }
    }

    public func saveAnswer(_ answer: StoredAnswer, scope: String, key: String) async throws {
        try await database.transaction { c in
            try await c.run(
                """
                INSERT INTO idempotent_answer (scope, key, fingerprint, status, content_type, body, created_at)
                VALUES (\(scope), \(key), \(answer.fingerprint), \(Int64(answer.status)), \(answer.contentType), \(ByteBuffer(bytes: answer.body)),
                        \(answer.keptAt.millisecondsSinceEpoch))
                ON CONFLICT (scope, key) DO NOTHING
                """
            )
        }
    }

    public func purgeAnswers(keptBefore instant: Instant) async throws -> Int {
        try await database.transaction { c in
            try await c.run("DELETE FROM idempotent_answer WHERE created_at < \(instant.millisecondsSinceEpoch) RETURNING key")
        }
    }
}
