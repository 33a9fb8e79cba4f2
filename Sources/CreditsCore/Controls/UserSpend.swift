/// What one user's calls spent of the credits in one calendar month (UTC), and what the user's
/// calls in progress hold: what a monthly spend limit is judged on. The month is the one the
/// call started in, as for the pools. Only the spend of users with a limit is counted; a limit
/// newly set starts from what the month's records were charged. The holds are never stored:
/// they are the open sessions' (`held(byOpenCalls:)`).
public struct UserSpend: Hashable, Sendable {
    public struct Slot: Hashable, Sendable {
        public let upn: UserPrincipalName
        public let month: CalendarMonth

        public init(upn: UserPrincipalName, month: CalendarMonth) {
            self.upn = upn
            self.month = month
        }
    }

    public let slot: Slot
    public var spentMinor: Int64
    public var heldMinor: Int64

    public init(slot: Slot, spentMinor: Int64 = 0, heldMinor: Int64 = 0) {
        self.slot = slot
        self.spentMinor = spentMinor
        self.heldMinor = heldMinor
    }

    /// What a limit leaves for more calls: never less than nothing (records uploaded after the
    /// fact are charged even beyond it).
    public func leftMinor(under limitMinor: Int64) -> Int64 { max(0, limitMinor - spentMinor - heldMinor) }

    /// What open calls hold, by the slot each counts in: its user's, in the month it started.
    public static func held(byOpenCalls calls: [(upn: UserPrincipalName, startTime: Instant, heldMinor: Int64)]) -> [Slot: Int64] {
        calls.reduce(into: [:]) { held, call in held[Slot(upn: call.upn, month: CalendarMonth(of: call.startTime)), default: 0] += call.heldMinor }
    }

    /// The slots an open session's hold counts in, from the sessions themselves.
    public static func held(byOpenSessions sessions: [CallSession]) -> [Slot: Int64] {
        held(byOpenCalls: sessions.compactMap { session in session.facts.user.map { ($0.upn, session.start.startTime, session.heldMinor) } })
    }
}

extension CreditAlerts {
    /// Our rule: the administrators hear when a user's spend reaches 80 % and 100 % of the
    /// monthly limit (100 % also when a call is refused for the limit).
    public static let spendPercentages: [Int64] = [80, 100]

    /// `limitMinor` is at most `LedgerLimits.maximumAmountMinor` (`CallControls.setSpendLimit`),
    /// so its percentages do not overflow; the spend is compared with them, never multiplied.
    public static func spendPercentagesReached(limitMinor: Int64, before: Int64, after: Int64) -> [Int64] {
        guard limitMinor > 0, after > before else { return [] }
        return spendPercentages.filter { percent in
            let threshold = (limitMinor * percent + 99) / 100
            return before < threshold && after >= threshold
        }
    }
}
