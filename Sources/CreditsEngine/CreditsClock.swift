public import CreditsCore
import Foundation
import Synchronization

/// Where the services read the time. The rules never do: they are handed an instant.
public protocol CreditsClock: Sendable {
    func now() -> Instant
}

/// The machine's clock, in UTC milliseconds.
public struct SystemClock: CreditsClock {
    public init() {}

    public func now() -> Instant {
        Instant(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

/// A clock that moves only when told: for tests, and for a server started with a test clock.
public final class ManualClock: CreditsClock {
    private let current: Mutex<Instant>

    public init(_ start: Instant) {
        current = Mutex(start)
    }

    public func now() -> Instant {
        current.withLock { $0 }
    }

    /// Moves the clock forward to `instant`; a clock never goes back.
    public func advance(to instant: Instant) {
        current.withLock { $0 = max($0, instant) }
    }

    public func advance(seconds: Int64) {
        current.withLock { $0 = $0.adding(seconds: seconds) }
    }
}
