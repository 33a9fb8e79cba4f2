/// How many call starts were refused for one reason on one day (UTC): the report of refused
/// calls, where spend controls and a used-up balance show what they held back.
public struct RefusedCalls: Hashable, Sendable {
    public let day: CivilDate
    public let reason: CallRefusal
    public var calls: Int64

    public init(day: CivilDate, reason: CallRefusal, calls: Int64) {
        self.day = day
        self.reason = reason
        self.calls = calls
    }

    /// The counts of a range by reason, most refused first.
    public static func byReason(_ counts: [RefusedCalls]) -> [(reason: CallRefusal, calls: Int64)] {
        counts.reduce(into: [CallRefusal: Int64]()) { $0[$1.reason, default: 0] += $1.calls }
            .sorted { ($0.value, $1.key.rawValue) > ($1.value, $0.key.rawValue) }
            .map { ($0.key, $0.value) }
    }
}
