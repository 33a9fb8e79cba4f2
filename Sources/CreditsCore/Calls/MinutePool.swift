/// A monthly pool of included minutes (`DOMAIN.md` section 7): a calling plan's, shared by the
/// users of one usage country holding that plan, or the tenant's conferencing dial-out pool.
/// Pools are counted in billed seconds; a MCOPSTN2 pool in units, an international second
/// using 5 units and a domestic second 1.
public struct PoolKey: Hashable, Sendable, CustomStringConvertible {
    /// A calling plan capability, or `.conferencingPool`.
    public let capability: Capability
    /// The usage country of a calling plan pool; nil for the tenant-wide conferencing pool.
    public let country: CountryCode?

    public static let conferencing = PoolKey(capability: .conferencingPool, country: nil)

    public init(capability: Capability, country: CountryCode?) {
        self.capability = capability
        self.country = country
    }

    /// As stored and shown: `MCOPSTN1/US`, `MCOMEETADD`.
    public var description: String { country.map { "\(capability.rawValue)/\($0)" } ?? capability.rawValue }

    public init?(stored text: String) {
        let parts = text.split(separator: "/")
        guard let capability = Capability(rawValue: String(parts[0])) else { return nil }
        self.init(capability: capability, country: parts.count > 1 ? CountryCode(String(parts[1])) : nil)
    }

    /// The licenses whose holders size this pool (E5 includes Audio Conferencing).
    public var sizingLicenses: Set<LicenseSku> {
        switch capability {
        case .conferencingPool: [.audioConferencing, .enterpriseE5]
        default: LicenseSku(rawValue: capability.rawValue).map { [$0] } ?? []
        }
    }

    /// Minutes (units for MCOPSTN2) per licensed user per month.
    public var minutesPerUser: Int64 {
        let northAmerica = country.map { ["US", "PR", "CA"].contains($0.rawValue) } ?? false
        switch capability {
        case .domesticCallingPlan, .domesticAndInternationalCallingPlan: return northAmerica ? 3000 : 1200
        case .domesticCallingPlan120: return 120
        case .domesticCallingPlan240: return 240
        case .conferencingPool: return 60
        default: return 0
        }
    }

    /// The pool's size in unit-seconds for `users` licensed users.
    public func capacity(users: Int) -> Int64 { Int64(users) * minutesPerUser * 60 }
}

/// A pool a call may draw on, and how many units each billed second uses.
public struct PoolDraw: Hashable, Sendable {
    public let key: PoolKey
    public let unitsPerSecond: Int64

    public init(key: PoolKey, unitsPerSecond: Int64 = 1) {
        self.key = key
        self.unitsPerSecond = unitsPerSecond
    }
}

/// A pool this month: its size and what calls have used of it.
public struct PoolBalance: Hashable, Sendable {
    public let key: PoolKey
    public let month: CalendarMonth
    public let capacity: Int64
    public var used: Int64

    public init(key: PoolKey, month: CalendarMonth, capacity: Int64, used: Int64) {
        self.key = key
        self.month = month
        self.capacity = capacity
        self.used = used
    }

    /// A pool with time left pays for the whole call (our rule); one with none pays nothing.
    public var hasTimeLeft: Bool { used < capacity }
}

/// A calendar month in UTC, `2026-11`: the period of pools and post-usage invoices.
public struct CalendarMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int64
    public let month: Int

    public init(year: Int64, month: Int) {
        self.year = year
        self.month = month
    }

    public init(of instant: Instant) {
        let date = instant.civilDateAndTime.date
        self.init(year: date.year, month: date.month)
    }

    public init?(_ text: String) {
        guard text.utf8.count == 7, let instant = ISO8601.parse(text + "-01") else { return nil }
        self.init(of: instant)
    }

    public var start: Instant { CivilDate(year: year, month: month, day: 1).instant() }

    public var description: String { String(ISO8601.formatDate(start).prefix(7)) }
    public static func < (lhs: CalendarMonth, rhs: CalendarMonth) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }
}
