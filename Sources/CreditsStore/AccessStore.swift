public import CreditsCore

/// Bearer tokens, administrators' passwords and their browser sessions. Secrets are never
/// stored: tokens and session cookies by a SHA-256 hash, passwords by bcrypt.
public protocol AccessStore: Sendable {
    func createToken(_ token: AccessToken, secretHash: String) async throws
    /// The token whose secret hashes to `secretHash`, revoked or not.
    func token(secretHash: String) async throws -> AccessToken?
    /// Tokens of one tenant, or every token when `tenantId` is `nil`, newest first.
    func tokens(of tenantId: TenantId?) async throws -> [AccessToken]
    /// Marks the token revoked (once; a second revocation keeps the first time); `nil` if there
    /// is no such token of `tenantId` (of any tenant when `nil`).
    func revokeToken(_ id: String, of tenantId: TenantId?, at: Instant) async throws -> AccessToken?

    /// Sets the password of a user of `tenantId` and ends every session the user had. A
    /// sign-in name is unique within its tenant; another tenant may have a user of that name.
    func setPasswordHash(_ hash: String, for upn: UserPrincipalName, in tenantId: TenantId) async throws
    /// The passwords set under `upn`, one per tenant, in the order of the tenants' ids.
    func passwordHashes(for upn: UserPrincipalName) async throws -> [StoredPassword]

    func createSession(_ session: AdminSession, secretHash: String) async throws
    /// The session whose cookie hashes to `secretHash`, if it has not ended.
    func session(secretHash: String) async throws -> AdminSession?
    func endSession(secretHash: String) async throws
    /// Forgets sessions that expired before `now`; returns how many.
    func endExpiredSessions(at now: Instant) async throws -> Int
}

/// A user's password as stored: its tenant and its bcrypt hash.
public struct StoredPassword: Hashable, Sendable {
    public let tenantId: TenantId
    public let hash: String

    public init(tenantId: TenantId, hash: String) {
        self.tenantId = tenantId
        self.hash = hash
    }
}
