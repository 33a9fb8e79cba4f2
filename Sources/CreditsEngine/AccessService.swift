public import CreditsCore
public import CreditsStore
import Dispatch
import Foundation
import HummingbirdBcrypt
import Synchronization

/// Who is asking, and proof of it: bearer tokens for programs, passwords and sessions for
/// administrators. Secrets leave this service once, when made, and are stored only as hashes.
public struct AccessService: Sendable {
    public struct Settings: Sendable {
        /// bcrypt's cost: 2^cost rounds. 12 takes about a quarter of a second.
        public var passwordCost: UInt8 = 12
        public var sessionLifetimeSeconds: Int64 = 8 * 3600
        /// How long a token, once checked, is trusted without asking the store again. A token
        /// revoked here stops at once; revoked by another instance, within this time.
        public var tokenCacheSeconds: Int64 = 10

        public init() {}
    }

    public static let minimumPasswordLength = 12
    /// bcrypt reads no further than 72 bytes.
    public static let maximumPasswordBytes = 72

    let stores: Stores
    let clock: any CreditsClock
    let settings: Settings
    private let cache = TokenCache()
    private let signIns = SignInRecord()

    /// `clock` is the wall clock even when billing runs on a test clock: sessions and tokens
    /// belong to the people and programs using the service, not to billing time.
    public init(stores: Stores, clock: any CreditsClock, settings: Settings = Settings()) {
        self.stores = stores
        self.clock = clock
        self.settings = settings
    }

    // MARK: Tokens

    /// Makes a token; the secret is returned here and never again.
    public func createToken(name: String, tenantId: TenantId?, scopes: Set<Scope>) async throws -> (secret: String, token: AccessToken) {
        try AccessToken.validate(tenantId: tenantId, scopes: scopes)
        let token = AccessToken(id: "tok_" + Self.randomText(bytes: 9), name: name.isEmpty ? "token" : name,
                                tenantId: tenantId, scopes: scopes, createdAt: clock.now())
        let secret = "cc_" + Self.randomText(bytes: 32)
        try await stores.access.createToken(token, secretHash: Self.hash(secret))
        return (secret, token)
    }

    /// The caller a bearer token speaks for, or `unauthenticated` if it is unknown or revoked.
    public func principal(bearer secret: String) async throws -> Principal {
        let hash = Self.hash(secret)
        let now = clock.now()
        if let cached = cache.principal(for: hash, at: now) { return cached }
        guard let token = try await stores.access.token(secretHash: hash), token.revokedAt == nil else {
            throw BillingError.unauthenticated
        }
        let principal = Principal(token: token)
        cache.remember(principal, for: hash, until: now.adding(seconds: settings.tokenCacheSeconds))
        return principal
    }

    public func tokens(of tenantId: TenantId?) async throws -> [AccessToken] {
        try await stores.access.tokens(of: tenantId)
    }

    /// Revokes a token of `tenantId` (any tenant's when `nil`); another tenant's token is unknown.
    public func revokeToken(_ id: String, of tenantId: TenantId?) async throws -> AccessToken {
        guard let revoked = try await stores.access.revokeToken(id, of: tenantId, at: clock.now()) else {
            throw BillingError(.notFound, code: "unknownToken", detail: "There is no token '\(id)' here.")
        }
        cache.forget(tokenId: id)
        return revoked
    }

    // MARK: Administrators

    /// Sets a user's password (bcrypt). The user must exist in `tenantId`.
    public func setPassword(_ password: String, for upn: UserPrincipalName, in tenantId: TenantId) async throws {
        guard password.count >= Self.minimumPasswordLength, password.utf8.count <= Self.maximumPasswordBytes else {
            throw BillingError.invalid("password", "A password has at least \(Self.minimumPasswordLength) characters and at most \(Self.maximumPasswordBytes) bytes.")
        }
        let hash = await Self.offCooperativePool { Bcrypt.hash(password, cost: settings.passwordCost) }
        try await stores.access.setPasswordHash(hash, for: upn, in: tenantId)
    }

    /// Signs an administrator in: a new session and the cookie secret that names it. Refuses
    /// with the same answer whether the name or the password is wrong.
    public func signIn(upn text: String, password: String) async throws -> (cookie: String, session: AdminSession, principal: Principal) {
        let refused = BillingError(.unauthenticated, code: "signInFailed", detail: "The sign-in name or the password is wrong.")
        // Checked before the password, so that guessing costs no bcrypt work once the limit is reached.
        if let wait = signIns.failures.withLock({ $0.waitSeconds(for: text, at: clock.now()) }) {
            throw BillingError(.throttled, code: "tooManySignIns",
                               detail: "Too many failed sign-ins with this name: try again in \(wait) seconds.", retryAfterSeconds: wait)
        }
        let upn = try? UserPrincipalName(text)
        let stored: (tenantId: TenantId, hash: String)? = if let upn { try await stores.access.passwordHash(for: upn) } else { nil }
        // An unknown name costs a bcrypt check too, so that timing does not tell names apart.
        let matches = await Self.offCooperativePool { Bcrypt.verify(password, hash: stored?.hash ?? Self.unusedHash) }
        guard let upn, let stored, matches, let user = try await stores.directory.user(upn, in: stored.tenantId) else {
            signIns.failures.withLock { $0.recordFailure(of: text, at: clock.now()) }
            throw refused
        }
        signIns.failures.withLock { $0.recordSuccess(of: text) }
        let principal = Principal(administrator: user, of: stored.tenantId)
        guard !principal.permissions.isEmpty else {
            throw BillingError(.notAllowed, code: "notAnAdministrator",
                               detail: "\(upn) holds no role that may use Communications Credits (see DOMAIN.md section 3).")
        }
        let now = clock.now()
        let cookie = Self.randomText(bytes: 32)
        let session = AdminSession(tenantId: stored.tenantId, upn: upn, csrfToken: Self.randomText(bytes: 24),
                                   createdAt: now, expiresAt: now.adding(seconds: settings.sessionLifetimeSeconds))
        try await stores.access.createSession(session, secretHash: Self.hash(cookie))
        // Sign-ins are rare, so each one also clears the sessions that have run out.
        _ = try await stores.access.endExpiredSessions(at: now)
        return (cookie, session, principal)
    }

    /// The administrator a session cookie speaks for, with the roles the user holds now.
    public func principal(sessionCookie cookie: String) async throws -> (principal: Principal, session: AdminSession) {
        guard let session = try await stores.access.session(secretHash: Self.hash(cookie)), clock.now() < session.expiresAt,
              let user = try await stores.directory.user(session.upn, in: session.tenantId)
        else { throw BillingError.unauthenticated }
        return (Principal(administrator: user, of: session.tenantId), session)
    }

    public func signOut(sessionCookie cookie: String) async throws {
        try await stores.access.endSession(secretHash: Self.hash(cookie))
    }

    // MARK: Secrets

    static func hash(_ secret: String) -> String {
        Digest.sha256Hex(Array(secret.utf8))
    }

    /// `bytes` random bytes from the system's generator, as URL-safe base64 without padding.
    public static func randomText(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static let unusedHash = Bcrypt.hash("no such administrator", cost: 4)

    /// bcrypt is slow on purpose; it runs on a Dispatch thread, not on the tasks serving requests.
    private static func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}

/// Tokens recently checked, so that a busy caller does not cost a read per request.
/// The failed sign-ins this instance has seen (see `SignInFailures`); another instance keeps its own.
private final class SignInRecord: Sendable {
    let failures = Mutex(SignInFailures())
}

private final class TokenCache: Sendable {
    private let entries = Mutex<[String: (principal: Principal, until: Instant)]>([:])

    func principal(for hash: String, at now: Instant) -> Principal? {
        entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard now < entry.until else { entries[hash] = nil; return nil }
            return entry.principal
        }
    }

    func remember(_ principal: Principal, for hash: String, until: Instant) {
        entries.withLock { $0[hash] = (principal, until) }
    }

    func forget(tokenId: String) {
        entries.withLock { entries in entries = entries.filter { $0.value.principal.credential != .token(id: tokenId) } }
    }
}
