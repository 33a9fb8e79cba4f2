/// What one user's calls, or the calls of one administrative unit's users, spent of the
/// credits in one calendar month (UTC), and what their calls in progress hold: what a monthly
/// spend limit is judged on. The month is the one the call started in, as for the pools; a
/// call counts in the units its user was in when it started. Only the spend of users and units
/// with a limit is counted; a limit newly set starts from what the month's records were
/// charged. The holds are never stored: they are the open sessions' (`held(byOpenCalls:)`).
public struct MonthlySpend: Hashable, Sendable {
    /// Whose spend a limit caps.
    public enum Spender: Hashable, Sendable {
        case user(UserPrincipalName)
        case unit(AdministrativeUnit)

        /// The user's sign-in name or the unit's name.
        public var name: String {
            switch self {
            case let .user(upn): upn.rawValue
            case let .unit(unit): unit.rawValue
            }
        }
    }

    public struct Slot: Hashable, Sendable {
        public let spender: Spender
        public let month: CalendarMonth

        public init(_ spender: Spender, month: CalendarMonth) {
            self.spender = spender
            self.month = month
        }

        public init(upn: UserPrincipalName, month: CalendarMonth) { self.init(.user(upn), month: month) }

        /// The user of a user's slot.
        public var upn: UserPrincipalName? {
            if case let .user(upn) = spender { upn } else { nil }
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

    /// The slots a call counts in: its user's and each of the user's units', in the month it started.
    public static func slots(upn: UserPrincipalName, units: Set<AdministrativeUnit>, startTime: Instant) -> [Slot] {
        let month = CalendarMonth(of: startTime)
        return [Slot(upn: upn, month: month)] + units.sorted().map { Slot(.unit($0), month: month) }
    }

    /// What open calls hold, by the slots each counts in.
    public static func held(
        byOpenCalls calls: [(upn: UserPrincipalName, units: Set<AdministrativeUnit>, startTime: Instant, heldMinor: Int64)]
    ) -> [Slot: Int64] {
        calls.reduce(into: [:]) { held, call in
            for slot in slots(upn: call.upn, units: call.units, startTime: call.startTime) { held[slot, default: 0] += call.heldMinor }
        }
    }

    /// Each slot's stored spend with what open calls hold there, in the order of their names.
    public static func merging(spent: [Slot: Int64], held: [Slot: Int64]) -> [MonthlySpend] {
        Set(spent.keys).union(held.keys).map { MonthlySpend(slot: $0, spentMinor: spent[$0] ?? 0, heldMinor: held[$0] ?? 0) }
            .sorted { $0.slot.spender.name < $1.slot.spender.name }
    }

    /// Where a unit newly given a limit starts: what the month's credit-paid records that
    /// name it were charged, from their charges summed by the units they name.
    public static func charged(
        _ units: [AdministrativeUnit],
        byListedUnits charges: [(listed: String, chargedMinor: Int64)]
    ) -> [AdministrativeUnit: Int64] {
        let wanted = Set(units)
        var charged = Dictionary(uniqueKeysWithValues: units.map { ($0, Int64(0)) })
        for (listed, minor) in charges {
            for unit in AdministrativeUnit.unlisted(listed) where wanted.contains(unit) { charged[unit]! += minor }
        }
        return charged
    }

    /// The slots an open session's hold counts in, from the sessions themselves.
    public static func held(byOpenSessions sessions: [CallSession]) -> [Slot: Int64] {
        held(
            byOpenCalls: sessions.compactMap { session in
                session.facts.user.map { ($0.upn, $0.administrativeUnits, session.start.startTime, session.heldMinor) }
            }
        )
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
