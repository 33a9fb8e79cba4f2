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

    /// Sets the password of a user of `tenantId`. A sign-in name belongs to one tenant:
    /// refuses `signInNameTaken` if another tenant's user already has a password under it.
    func setPasswordHash(_ hash: String, for upn: UserPrincipalName, in tenantId: TenantId) async throws
    func passwordHash(for upn: UserPrincipalName) async throws -> (tenantId: TenantId, hash: String)?

    func createSession(_ session: AdminSession, secretHash: String) async throws
    /// The session whose cookie hashes to `secretHash`, if it has not ended.
    func session(secretHash: String) async throws -> AdminSession?
    func endSession(secretHash: String) async throws
    /// Forgets sessions that expired before `now`; returns how many.
    func endExpiredSessions(at now: Instant) async throws -> Int
}

extension BillingError {
    public static func signInNameTaken(_ upn: UserPrincipalName) -> BillingError {
        BillingError(.conflict, code: "signInNameTaken", detail: "\(upn) already signs in to another tenant; a sign-in name belongs to one tenant.")
    }
}
