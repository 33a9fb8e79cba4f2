import CreditsCore
import Foundation
import Hummingbird
import Synchronization

/// A token bucket per credential: each may make `burst` requests at once and `perSecond` a
/// second after that. Beyond it the answer is 429 with `Retry-After`, and nothing is done.
public final class RateLimiter: Sendable {
    public struct Settings: Sendable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double = 1000, burst: Double = 2000) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    private let settings: Settings
    private let buckets = Mutex<[Principal.Credential: Bucket]>([:])

    public init(_ settings: Settings) {
        self.settings = settings
    }

    /// Takes one request from the credential's bucket, or throws 429 saying when to come back.
    func admit(_ credential: Principal.Credential, at now: UInt64 = DispatchTime.now().uptimeNanoseconds) throws {
        let wait: Double? = buckets.withLock { buckets in
            var bucket = buckets[credential] ?? Bucket(tokens: settings.burst, updated: now)
            let elapsed = Double(now &- bucket.updated) / 1e9
            bucket.tokens = min(settings.burst, bucket.tokens + elapsed * settings.perSecond)
            bucket.updated = now
            defer { buckets[credential] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / settings.perSecond }
            bucket.tokens -= 1
            return nil
        }
        if let wait {
            var problem = Problem(.tooManyRequests, code: "rateLimited",
                                  detail: "Too many requests with this credential: at most \(Int(settings.perSecond)) a second. Retry after the time in Retry-After.")
            problem.headers[.retryAfter] = String(max(1, Int(wait.rounded(.up))))
            throw problem
        }
    }
}
