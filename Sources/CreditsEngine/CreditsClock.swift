public import CreditsCore
import Foundation

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
