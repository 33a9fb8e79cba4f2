/// A guard against toll fraud: when the credit spend of a sliding hour passes a threshold,
/// international and premium calls that credits would pay for are suspended until an
/// administrator resumes them; domestic, pool-paid and emergency calls go on. The threshold is
/// a set amount, or several times the tenant's usual hourly spend, whichever is lower.
///
/// The spend of the sliding hour is what credit-paid calls were charged in the current minute
/// and the 59 before it (`SpendMinutes`), plus what the calls in progress hold: a burst of
/// calls counts the moment it is granted, not when it ends.
public struct VelocityAlarm: Hashable, Sendable {
    public static let allowedMultiples: ClosedRange<Int64> = 2...100

    /// The spend of a sliding hour past which calls are suspended; nil: no set amount.
    public private(set) var hourlyAmountMinor: Int64?
    /// Calls are suspended past this many times the usual hourly spend; nil: not judged by it.
    public private(set) var usualMultiple: Int64?
    /// The usual hourly spend, worked out once a day from the usage records.
    public var usual: UsualHourlySpend?
    /// Since when international and premium credit-paid calls are suspended; nil: they are not.
    public var suspension: VelocitySuspension?

    public static let off = VelocityAlarm()

    public init(hourlyAmountMinor: Int64? = nil, usualMultiple: Int64? = nil, usual: UsualHourlySpend? = nil, suspension: VelocitySuspension? = nil) {
        self.hourlyAmountMinor = hourlyAmountMinor
        self.usualMultiple = usualMultiple
        self.usual = usual
        self.suspension = suspension
    }

    /// Sets the amount and the multiple (both nil: the alarm is off); a suspension stands until resumed.
    public mutating func set(hourlyAmountMinor amount: Int64?, usualMultiple multiple: Int64?) throws(Refusal) {
        if let amount, !(1...LedgerLimits.maximumAmountMinor).contains(amount) {
            throw Refusal.invalid(.invalidHourlyAmountMinor, "An hourly amount is 1 to \(LedgerLimits.maximumAmountMinor) minor units.")
        }
        if let multiple, !Self.allowedMultiples.contains(multiple) {
            throw Refusal.invalid(
                .invalidUsualMultiple,
                "A multiple of the usual hourly spend is \(Self.allowedMultiples.lowerBound) to \(Self.allowedMultiples.upperBound)."
            )
        }
        hourlyAmountMinor = amount
        usualMultiple = multiple
        if multiple == nil { usual = nil }
    }

    /// What the usual spend allows in an hour: nil without a multiple, or while the usual
    /// hourly spend is unknown or nothing (too little history to judge by).
    public var usualLimitMinor: Int64? {
        guard let usualMultiple, let usual, usual.p95Minor > 0 else { return nil }
        let (limit, overflow) = usual.p95Minor.multipliedReportingOverflow(by: usualMultiple)
        return overflow ? .max : limit
    }

    /// The spend of a sliding hour past which calls are suspended; nil: the alarm watches nothing.
    public var thresholdMinor: Int64? {
        switch (hourlyAmountMinor, usualLimitMinor) {
        case let (amount?, usual?): min(amount, usual)
        case let (amount?, nil): amount
        case let (nil, usual?): usual
        case (nil, nil): nil
        }
    }

    public var isOn: Bool { hourlyAmountMinor != nil || usualMultiple != nil }

    /// Whether the sliding hour's charges so far stop counting: when the alarm is turned on
    /// (what it did not count is not known), and when a suspension is resumed, so that the
    /// spend that tripped it does not trip it again.
    public static func restartsHour(before: VelocityAlarm, after: VelocityAlarm) -> Bool {
        (!before.isOn && after.isOn) || (before.suspension != nil && after.suspension == nil)
    }

    /// Whether the hour's spend, `spentMinor`, trips the alarm: it passes the threshold.
    public func isTripped(bySpend spentMinor: Int64) -> Bool { thresholdMinor.map { spentMinor > $0 } ?? false }

    /// The calls a suspension stops, if credits pay for them: outgoing calls abroad, and to
    /// premium numbers at home. Never an emergency call.
    public static func suspends(_ call: CallFacts) -> Bool {
        call.callType.isJudgedByDestination && (!call.isDomestic || call.rate?.numberType == .premium)
    }
}

/// The tenant's usual credit spend in an hour: the 95th percentile (nearest rank) of the
/// hourly spend of calls paid from the credits, by the hour they started, over the funding
/// advice's history (the last 90 full days, none before the first purchase).
public struct UsualHourlySpend: Hashable, Sendable {
    public let p95Minor: Int64
    /// How many hours it was worked out from.
    public let hours: Int64
    /// The day it was worked out on: it is worked out again on a later day.
    public let computedOn: CivilDate

    public init(p95Minor: Int64, hours: Int64, computedOn: CivilDate) {
        self.p95Minor = p95Minor
        self.hours = hours
        self.computedOn = computedOn
    }

    /// From the spend of each hour of history (hours missing spent nothing).
    public init(hourly: [Int64], computedOn: CivilDate) {
        let rank = Int((Double(hourly.count) * 0.95).rounded(.up))
        self.init(p95Minor: rank == 0 ? 0 : hourly.sorted()[rank - 1], hours: Int64(hourly.count), computedOn: computedOn)
    }
}

/// When the alarm suspended calls, and on what figures.
public struct VelocitySuspension: Hashable, Sendable {
    public let since: Instant
    public let spentMinor: Int64
    public let thresholdMinor: Int64

    public init(since: Instant, spentMinor: Int64, thresholdMinor: Int64) {
        self.since = since
        self.spentMinor = spentMinor
        self.thresholdMinor = thresholdMinor
    }
}

/// What credit-paid calls were charged in each minute of the last hour: the current minute and
/// the 59 before it. A minute is counted whole, so the stored minutes give the same figure as
/// the charges themselves.
public struct SpendMinutes: Hashable, Sendable {
    public static let minutesPerWindow: Int64 = 60

    /// Spend by minute since the epoch.
    public private(set) var minutes: [Int64: Int64]
    public private(set) var totalMinor: Int64

    private var earliest: Int64?

    public init(minutes: [Int64: Int64] = [:]) {
        self.minutes = minutes
        totalMinor = minutes.values.reduce(0, +)
        earliest = minutes.keys.min()
    }

    public static func minute(of instant: Instant) -> Int64 { instant.millisecondsSinceEpoch / 60_000 }

    /// The first minute of the window that ends in the minute of `now`.
    public static func firstMinute(at now: Instant) -> Int64 { minute(of: now) - minutesPerWindow + 1 }

    public mutating func add(_ amountMinor: Int64, at now: Instant) {
        guard amountMinor != 0 else { return }
        let minute = Self.minute(of: now)
        earliest = min(earliest ?? minute, minute)
        minutes[minute, default: 0] += amountMinor
        totalMinor += amountMinor
    }

    /// Forgets the minutes before the window that ends at `now`; returns whether any were forgotten.
    @discardableResult
    public mutating func slide(to now: Instant) -> Bool {
        let first = Self.firstMinute(at: now)
        // Checked at every credit-paid grant: most find nothing to forget without a scan.
        guard let earliest, earliest < first else { return false }
        let old = minutes.filter { $0.key < first }
        self.earliest = minutes.keys.filter { $0 >= first }.min()
        for (minute, amount) in old {
            minutes[minute] = nil
            totalMinor -= amount
        }
        return true
    }
}

/// The velocity alarm as an administrator sees it: its settings and state, and the sliding
/// hour's spend so far.
public struct VelocityStatus: Hashable, Sendable {
    public let alarm: VelocityAlarm
    /// What credit-paid calls were charged in the sliding hour.
    public let chargedMinor: Int64
    /// What the calls in progress hold.
    public let heldMinor: Int64
    /// The first minute the sliding hour counts.
    public let hourStartsAt: Instant

    public init(alarm: VelocityAlarm, charged: SpendMinutes, heldMinor: Int64, at now: Instant) {
        self.alarm = alarm
        chargedMinor = charged.totalMinor
        self.heldMinor = heldMinor
        hourStartsAt = Instant(millisecondsSinceEpoch: SpendMinutes.firstMinute(at: now) * 60_000)
    }

    /// What the alarm judges: the charges and the holds.
    public var spentMinor: Int64 { chargedMinor + heldMinor }
}
