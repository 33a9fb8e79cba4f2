public import CreditsCore

/// The first answer to each request sent with an `Idempotency-Key`, so that a retry gets it
/// again instead of doing the work twice.
public protocol AnswerStore: Sendable {
    func answer(scope: String, key: String) async throws -> StoredAnswer?
    /// Keeps the answer unless one is already kept under the key (the first one stands).
    func saveAnswer(_ answer: StoredAnswer, scope: String, key: String) async throws
    /// Forgets the answers kept before `instant`; returns how many.
    func purgeAnswers(keptBefore instant: Instant) async throws -> Int
}

public struct StoredAnswer: Hashable, Sendable {
    /// How long an answer is kept for retries (our rule: a day, as payment providers keep
    /// theirs); the scheduled work forgets older ones.
    public static let keptSeconds: Int64 = 86_400

    /// What the request was: its method, path and body, hashed.
    public let fingerprint: String
    public let status: Int
    public let contentType: String?
    public let body: [UInt8]
    public let keptAt: Instant

    public init(fingerprint: String, status: Int, contentType: String?, body: [UInt8], keptAt: Instant) {
        self.fingerprint = fingerprint
        self.status = status
        self.contentType = contentType
        self.body = body
        self.keptAt = keptAt
    }
}
