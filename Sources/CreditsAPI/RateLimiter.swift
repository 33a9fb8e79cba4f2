public import CreditsCore
import Foundation
import Hummingbird
import Synchronization

/// A token bucket per credential, or per client address for requests without a working one:
/// each may make `burst` requests at once and `perSecond` a second after that. Beyond it the
/// answer is 429 with `Retry-After`, and nothing is done.
public final class RateLimiter: Sendable {
    public enum Key: Hashable, Sendable {
        case credential(Principal.Credential)
        case address(String)
    }

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

        /// The tokens it holds at `now`, refilled since `updated` up to the burst.
        func tokens(at now: UInt64, _ settings: Settings) -> Double {
            min(settings.burst, tokens + Double(now &- updated) / 1e9 * settings.perSecond)
        }
    }

    private let settings: Settings
    private let buckets = Mutex<[Key: Bucket]>([:])
    /// Buckets kept at most; past it the full ones, which hold nothing worth keeping, are dropped.
    static let maximumBuckets = 100_000

    public init(_ settings: Settings) {
        self.settings = settings
    }

    /// Takes one request from the credential's bucket, or throws 429 saying when to come back.
    func admit(_ key: Key, at now: UInt64 = DispatchTime.now().uptimeNanoseconds) throws {
        let wait: Double? = buckets.withLock { buckets in
            if buckets.count >= Self.maximumBuckets { Self.dropFull(&buckets, settings: settings, at: now) }
            var bucket = buckets[key] ?? Bucket(tokens: settings.burst, updated: now)
            bucket.tokens = bucket.tokens(at: now, settings)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / settings.perSecond }
            bucket.tokens -= 1
            return nil
        }
        if let wait {
            var problem = Problem(
                .rateLimited,
                detail: "Too many requests: at most \(Self.rate(settings.perSecond)) a second. Retry after the time in Retry-After."
            )
            problem.headers[.retryAfter] = String(max(1, Int(wait.rounded(.up))))
            throw problem
        }
    }

    /// Whether `key` has nothing left now, without taking from it.
    func isEmpty(_ key: Key, at now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Bool {
        buckets.withLock { buckets in
            guard let bucket = buckets[key] else { return false }
            return bucket.tokens(at: now, settings) < 1
        }
    }

    private static func dropFull(_ buckets: inout [Key: Bucket], settings: Settings, at now: UInt64) {
        buckets = buckets.filter { $0.value.tokens(at: now, settings) < settings.burst }
        if buckets.count >= maximumBuckets { buckets.removeAll(keepingCapacity: true) }
    }

    private static func rate(_ perSecond: Double) -> String {
        perSecond >= 1 ? String(Int(perSecond)) : String(perSecond)
    }
}
