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
    private let dummy = DummyHash()

    /// `clock` is the wall clock even when billing runs on a test clock: sessions and tokens
    /// belong to the people and programs using the service, not to billing time.
    public init(stores: Stores, clock: any CreditsClock, settings: Settings = Settings()) {
        self.stores = stores
        self.clock = clock
        self.settings = settings
    }

    // MARK: Tokens

    /// Makes a token that lives `lifetimeDays` (see `AccessToken`); the secret is returned here
    /// and never again. `maker`, when a caller makes it, may give no permission it lacks.
    public func createToken(
        name: String,
        tenantId: TenantId?,
        scopes: Set<Scope>,
        lifetimeDays: Int64 = AccessToken.defaultLifetimeDays,
        madeBy maker: Principal? = nil
    ) async throws -> (secret: String, token: AccessToken) {
        try AccessToken.validate(tenantId: tenantId, scopes: scopes, madeBy: maker)
        let now = clock.now()
        let token = AccessToken(
            id: "tok_" + Self.randomText(bytes: 9),
            name: name.isEmpty ? "token" : name,
            tenantId: tenantId,
            scopes: scopes,
            createdAt: now,
            expiresAt: now.adding(days: try AccessToken.checkedLifetime(days: lifetimeDays))
        )
        let secret = "cc_" + Self.randomText(bytes: 32)
        try await stores.access.createToken(token, secretHash: Self.hash(secret))
        return (secret, token)
    }

    /// The caller a bearer token speaks for, or `unauthenticated` if it is unknown, revoked or expired.
    public func principal(bearer secret: String) async throws -> Principal {
        let hash = Self.hash(secret)
        let now = clock.now()
        if let cached = cache.principal(for: hash, at: now) { return cached }
        let revocations = cache.revocations
        guard let token = try await stores.access.token(secretHash: hash), token.works(at: now) else {
            throw Refusal.unauthenticated
        }
        let principal = Principal(token: token)
        cache.remember(
            principal,
            for: hash,
            until: min(token.expiresAt, now.adding(seconds: settings.tokenCacheSeconds)),
            ifNoRevocationSince: revocations
        )
        return principal
    }

    /// Whether the token was checked recently and still works, without asking the store.
    public func isRecentlyChecked(bearer secret: String) -> Bool {
        cache.principal(for: Self.hash(secret), at: clock.now()) != nil
    }

    public func tokens(of tenantId: TenantId?) async throws -> [AccessToken] {
        try await stores.access.tokens(of: tenantId)
    }

    /// Revokes a token of `tenantId` (any tenant's when `nil`); another tenant's token is unknown.
    /// It stops at once here, and within `tokenCacheSeconds` on other instances.
    public func revokeToken(_ id: String, of tenantId: TenantId?) async throws -> AccessToken {
        cache.forget(tokenId: id)
        guard let revoked = try await stores.access.revokeToken(id, of: tenantId, at: clock.now()) else {
            throw Refusal(.unknownToken, detail: "There is no token '\(id)' here.")
        }
        cache.forget(tokenId: id)
        return revoked
    }

    // MARK: Administrators

    /// Sets a user's password (bcrypt) and ends every session the user had. The user must exist
    /// in `tenantId`; `setter`, when a caller sets it, must hold every right the user holds.
    public func setPassword(_ password: String, for upn: UserPrincipalName, in tenantId: TenantId, by setter: Principal? = nil) async throws {
        guard password.count >= Self.minimumPasswordLength, password.utf8.count <= Self.maximumPasswordBytes else {
            throw Refusal.invalid(
                .invalidPassword,
                "A password has at least \(Self.minimumPasswordLength) characters and at most \(Self.maximumPasswordBytes) bytes."
            )
        }
        guard let user = try await stores.directory.user(upn, in: tenantId) else { throw Refusal.unknownUser(upn.rawValue) }
        try setter?.authorizeActing(onHolderOf: user.roles)
        let hash = await Self.offCooperativePool { Bcrypt.hash(password, cost: settings.passwordCost) }
        try await stores.access.setPasswordHash(hash, for: upn, in: tenantId)
    }

    /// Signs an administrator in: a new session and the cookie secret that names it. Refuses
    /// with the same answer, after the same work, whether the name or the password is wrong.
    /// A sign-in name is unique within a tenant; where it signs in to several, `tenantId`
    /// chooses (without it, the password decides, and a password good for several is refused
    /// with `organizationRequired`).
    public func signIn(
        upn text: String,
        password: String,
        tenantId: TenantId? = nil,
        from address: String? = nil
    ) async throws
        -> (cookie: String, session: AdminSession, principal: Principal)
    {
        let refused = Refusal(.signInFailed, detail: "The sign-in name or the password is wrong.")
        // Counted before the password is checked, so that guessing costs no bcrypt work once the
        // limit is reached, and attempts sent at once are counted as they arrive.
        let attempt: SignInFailures.Attempt
        switch signIns.failures.withLock({ $0.begin(name: text, address: address, at: clock.now()) }) {
        case let .success(begun): attempt = begun
        case let .failure(throttled):
            throw Refusal(
                .tooManySignIns,
                detail: "Too many failed sign-ins: try again in \(throttled.waitSeconds) seconds.",
                retryAfterSeconds: throttled.waitSeconds
            )
        }
        var succeeded = false
        defer { signIns.failures.withLock { $0.finish(attempt, succeeded: succeeded) } }
        let upn = try? UserPrincipalName(text)
        let stored = if let upn { try await stores.access.passwordHashes(for: upn) } else { [StoredPassword]() }
        let candidates = Array(stored.filter { tenantId == nil || $0.tenantId == tenantId }.prefix(Self.maximumTenantsPerName))
        // An unknown name costs a bcrypt check of the same cost, so that timing does not tell names apart.
        let dummy = await dummyHash()
        let matching = await Self.offCooperativePool { () -> [StoredPassword] in
            guard !candidates.isEmpty else {
                _ = Bcrypt.verify(password, hash: dummy)
                return []
            }
            return candidates.filter { Bcrypt.verify(password, hash: $0.hash) }
        }
        guard let upn, let match = matching.first, let user = try await stores.directory.user(upn, in: match.tenantId) else { throw refused }
        guard matching.count == 1 else {
            throw Refusal(
                .organizationRequired,
                detail: "This name and password sign in to more than one organization: choose one (tenantId)."
            )
        }
        let principal = Principal(administrator: user, of: match.tenantId)
        guard !principal.permissions.isEmpty else {
            throw Refusal(
                .notAnAdministrator,
                detail: "\(upn) holds no role that may use Communications Credits (see DOMAIN.md section 3)."
            )
        }
        succeeded = true
        let now = clock.now()
        let cookie = Self.randomText(bytes: 32)
        let session = AdminSession(
            tenantId: match.tenantId,
            upn: upn,
            csrfToken: Self.randomText(bytes: 24),
            createdAt: now,
            expiresAt: now.adding(seconds: settings.sessionLifetimeSeconds)
        )
        try await stores.access.createSession(session, secretHash: Self.hash(cookie))
        // Sign-ins are rare, so each one also clears the sessions that have run out.
        _ = try await stores.access.endExpiredSessions(at: now)
        return (cookie, session, principal)
    }

    /// A name is checked against at most this many tenants' passwords, so that one sign-in's
    /// work stays bounded.
    public static let maximumTenantsPerName = 8

    /// The administrator a session cookie speaks for, with the roles the user holds now.
    public func principal(sessionCookie cookie: String) async throws -> (principal: Principal, session: AdminSession) {
        guard let session = try await stores.access.session(secretHash: Self.hash(cookie)), clock.now() < session.expiresAt,
            let user = try await stores.directory.user(session.upn, in: session.tenantId)
        else { throw Refusal.unauthenticated }
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

    /// A hash of the configured cost that no password matches, made once when first needed.
    package func dummyHash() async -> String {
        if let made = dummy.hash.withLock({ $0 }) { return made }
        let cost = settings.passwordCost
        let made = await Self.offCooperativePool { Bcrypt.hash(AccessService.randomText(bytes: 16), cost: cost) }
        return dummy.hash.withLock { kept in
            if kept == nil { kept = made }
            return kept!
        }
    }

    /// bcrypt is slow on purpose; it runs on a Dispatch thread, not on the tasks serving requests.
    private static func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}

private final class DummyHash: Sendable {
    let hash = Mutex<String?>(nil)
}

/// The failed sign-ins this instance has seen (see `SignInFailures`); another instance keeps its own.
private final class SignInRecord: Sendable {
    let failures = Mutex(SignInFailures())
}

/// Tokens recently checked, so that a busy caller does not cost a read per request. A check
/// that began before a revocation here is not remembered, so a revoked token stops at once.
private final class TokenCache: Sendable {
    private struct State {
        var entries: [String: (principal: Principal, until: Instant)] = [:]
        var revocations = 0
    }

    private let state = Mutex(State())

    var revocations: Int { state.withLock { $0.revocations } }

    func principal(for hash: String, at now: Instant) -> Principal? {
        state.withLock { state in
            guard let entry = state.entries[hash] else { return nil }
            guard now < entry.until else {
                state.entries[hash] = nil
                return nil
            }
            return entry.principal
        }
    }

    func remember(_ principal: Principal, for hash: String, until: Instant, ifNoRevocationSince revocations: Int) {
        state.withLock { state in
            guard state.revocations == revocations else { return }
            // Bounded: a flood of distinct tokens cannot grow it without end.
            if state.entries.count >= 10_000 { state.entries.removeAll(keepingCapacity: true) }
            state.entries[hash] = (principal, until)
        }
    }

    func forget(tokenId: String) {
        state.withLock { state in
            state.revocations += 1
            state.entries = state.entries.filter { $0.value.principal.credential != .token(id: tokenId) }
        }
    }
}
