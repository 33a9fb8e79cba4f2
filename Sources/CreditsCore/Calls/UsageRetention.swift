/// How long a tenant's usage records are kept (`DOMAIN.md` section 10): 365 days unless the
/// tenant chose fewer. Older records are purged, exports never reach further back, and an
/// upload older than that is refused, because it could no longer be told from a record that
/// was charged and then purged.
public struct UsageRetention: Hashable, Sendable {
    public static let standard = UsageRetention(checkedDays: 365)
    /// Our rule: at least 30 days, and at most the 12 months the report may reach back.
    public static let allowedDays: ClosedRange<Int64> = 30...365

    public let days: Int64

    public init(days: Int64) throws(Refusal) {
        guard Self.allowedDays.contains(days) else {
            throw Refusal.invalid(
                .invalidUsageRetentionDays,
                "Usage records are kept \(Self.allowedDays.lowerBound) to \(Self.allowedDays.upperBound) days."
            )
        }
        self.days = days
    }

    private init(checkedDays: Int64) {
        days = checkedDays
    }

    /// The earliest start time still kept at `now`.
    public func horizon(at now: Instant) -> Instant {
        now.adding(days: -days)
    }

    /// `from` moved up to the horizon when it reaches further back.
    public func clamp(_ from: Instant, at now: Instant) -> Instant {
        max(from, horizon(at: now))
    }

    /// Refuses a record that started before the horizon.
    public func check(startTime: Instant, at now: Instant) throws(Refusal) {
        guard startTime >= horizon(at: now) else {
            throw Refusal.invalid(.invalidStartTime, "The record started more than \(days) days ago, before the usage this tenant keeps.")
        }
    }
}
