public import CreditsCore

/// The first answer to each request sent with an `Idempotency-Key`, so that a retry gets it
/// again instead of doing the work twice.
public protocol AnswerStore: Sendable {
    func answer(scope: String, key: String) async throws -> StoredAnswer?
    /// Keeps the answer unless one is already kept under the key (the first one stands).
    func saveAnswer(_ answer: StoredAnswer, scope: String, key: String, at: Instant) async throws
}

public struct StoredAnswer: Hashable, Sendable {
    /// What the request was: its method, path and body, hashed.
    public let fingerprint: String
    public let status: Int
    public let contentType: String?
    public let body: [UInt8]

    public init(fingerprint: String, status: Int, contentType: String?, body: [UInt8]) {
        self.fingerprint = fingerprint
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
