/// Sizing the credits from the usage history, as the seeds tell administrators to do by hand
/// (`DOMAIN.md` section 10): the daily credit spend, how long the balance lasts, a trigger and
/// a recharge amount, and what each lot will leave unspent at its expiry at the current rate.
/// Every figure keeps the numbers it came from, so that a page can show them beside it.
public struct FundingAdvice: Hashable, Sendable {
    /// Our rule: the history is the last 90 full days, or fewer since the first purchase.
    public static let historyDays: Int64 = 90
    /// Our rule: a trigger covers 7 days at the 95th percentile unless asked otherwise.
    public static let standardCoverDays: Int64 = 7
    public static let allowedCoverDays: ClosedRange<Int64> = 1...90
    /// Our rule: a recharge aims at 30 days at the 95th percentile, so that it is not charged often.
    public static let rechargeTargetDays: Int64 = 30

    /// What calls paid from the credits spent each day (charge and connection fee).
    public struct DailySpend: Hashable, Sendable {
        public let firstDay: CivilDate
        public let lastDay: CivilDate
        public let dailyMinor: [Int64]
        public let totalMinor: Int64
        /// `totalMinor / days`, rounded half up once, for showing; sums below use the exact ratio.
        public let meanMinor: Int64
        /// Nearest rank: the `p95Rank`-th smallest day.
        public let p95Minor: Int64
        public let p95Rank: Int

        public var days: Int64 { Int64(dailyMinor.count) }
    }

    /// When the balance runs out at the mean daily spend (nil: no spend, it does not run out).
    public struct Runway: Hashable, Sendable {
        public let balanceMinor: Int64
        public let days: Int64?
        public let runsOutOn: CivilDate?
    }

    /// p95 × cover days, rounded up to a whole currency unit, within the purchase bounds.
    public struct Trigger: Hashable, Sendable {
        public let amountMinor: Int64
        public let coverDays: Int64
        public let neededMinor: Int64
    }

    /// p95 × 30 days rounded up, but no more than the mean spends in a lot's lifetime after the
    /// trigger's worth of older funds (used first) is gone, within the purchase bounds.
    public struct Recharge: Hashable, Sendable {
        public enum Limit: String, Hashable, Sendable {
            /// The 30-day target was below every limit.
            case target
            /// Cut to what can be spent before it expires.
            case expiry
            /// Raised to the smallest purchase allowed.
            case minimumPurchase
            /// Cut to the largest purchase allowed.
            case maximumPurchase
        }

        public let amountMinor: Int64
        public let targetDays: Int64
        public let targetMinor: Int64
        public let lifetimeDays: Int64
        public let spendableBeforeExpiryMinor: Int64
        public let limitedBy: Limit
    }

    /// One live lot at its expiry if spending goes on at the mean, lots used in their order.
    public struct LotForecast: Hashable, Sendable {
        public let lotId: LotId
        public let expiresAt: Instant
        public let remainingMinor: Int64
        /// What the mean spends between the time earlier lots run out and this one's expiry.
        public let spendableMinor: Int64
        public let forfeitMinor: Int64
        public let usedUpOn: CivilDate?
    }

    public let currency: Currency
    public let asOf: Instant
    public let spend: DailySpend
    public let runway: Runway
    public let trigger: Trigger
    public let recharge: Recharge
    public let lots: [LotForecast]

    public var forecastForfeitMinor: Int64 { lots.reduce(0) { $0 + $1.forfeitMinor } }

    /// Whether the trigger and the recharge are advice: with no credit spend in the history
    /// they are only the purchase bounds, and nothing says what the tenant needs.
    public var recommendsAmounts: Bool { spend.totalMinor > 0 }

    public static func checkCoverDays(_ days: Int64) throws(Refusal) {
        guard allowedCoverDays.contains(days) else {
            throw Refusal.invalid(.invalidCoverDays, "coverDays is \(allowedCoverDays.lowerBound) to \(allowedCoverDays.upperBound) days.")
        }
    }

    /// The days of history advice is drawn from: full days, the last `historyDays`, none before
    /// the day of the first purchase. Empty when there is no full day yet.
    public static func historyDays(firstPurchase: Instant?, at now: Instant) -> [CivilDate] {
        let today = now.civilDateAndTime.date.daysSinceEpoch
        var first = today - historyDays
        if let firstPurchase { first = max(first, firstPurchase.civilDateAndTime.date.daysSinceEpoch) }
        return (first..<today).map { Instant(millisecondsSinceEpoch: $0 * Instant.millisecondsPerDay).civilDateAndTime.date }
    }

    /// `dailySpendMinor` holds the spend of each of `historyDays(...)` (missing days spent nothing).
    /// Nil when there is no full day of history yet.
    public init?(
        statement: CreditStatement,
        daily dailySpendMinor: [CivilDate: Int64],
        firstPurchase: Instant?,
        coverDays: Int64 = standardCoverDays,
        at now: Instant
    ) {
        let days = Self.historyDays(firstPurchase: firstPurchase, at: now)
        guard let firstDay = days.first, let lastDay = days.last else { return nil }
        let currency = statement.currency
        let daily = days.map { dailySpendMinor[$0] ?? 0 }
        let total = daily.reduce(0, +)
        let rank = Int((Double(daily.count) * 0.95).rounded(.up))
        spend = DailySpend(
            firstDay: firstDay,
            lastDay: lastDay,
            dailyMinor: daily,
            totalMinor: total,
            meanMinor: Self.divideRoundingHalfUp(total, by: Int64(daily.count)),
            p95Minor: daily.sorted()[rank - 1],
            p95Rank: rank
        )
        let rate = SpendRate(totalMinor: total, days: Int64(daily.count))
        self.currency = currency
        asOf = now

        let balance = statement.figures.balanceMinor
        if let runwayDays = rate.daysToSpend(max(balance, 0)) {
            runway = Runway(balanceMinor: balance, days: runwayDays, runsOutOn: now.adding(days: runwayDays).civilDateAndTime.date)
        } else {
            runway = Runway(balanceMinor: balance, days: nil, runsOutOn: nil)
        }

        let bounds = PurchaseLimits.amountRange(currency)
        let unit = currency.minorUnitsPerMajorUnit
        let needed = spend.p95Minor * coverDays
        trigger = Trigger(
            amountMinor: min(max(Self.roundUp(needed, to: unit), bounds.lowerBound), bounds.upperBound),
            coverDays: coverDays,
            neededMinor: needed
        )

        let target = Self.roundUp(spend.p95Minor * Self.rechargeTargetDays, to: unit)
        let lifetimeDays = (now.adding(months: Lot.lifetimeMonths).millisecondsSinceEpoch - now.millisecondsSinceEpoch) / Instant.millisecondsPerDay
        let spendable = max(rate.spent(inMilliseconds: lifetimeDays * Instant.millisecondsPerDay) - trigger.amountMinor, 0)
        let cap = spendable / unit * unit
        let (amount, limit): (Int64, Recharge.Limit) =
            switch min(target, cap) {
            case let amount where amount < bounds.lowerBound: (bounds.lowerBound, .minimumPurchase)
            case let amount where amount > bounds.upperBound: (bounds.upperBound, .maximumPurchase)
            case let amount: (amount, target <= cap ? .target : .expiry)
            }
        recharge = Recharge(
            amountMinor: amount,
            targetDays: Self.rechargeTargetDays,
            targetMinor: target,
            lifetimeDays: lifetimeDays,
            spendableBeforeExpiryMinor: spendable,
            limitedBy: limit
        )

        var clock = now
        var forecasts: [LotForecast] = []
        for lot in statement.lots where !lot.isExpired(at: now) && lot.freeMinor + lot.heldMinor > 0 {
            let remaining = lot.freeMinor + lot.heldMinor
            let canSpend = rate.spent(inMilliseconds: max(lot.expiresAt.millisecondsSinceEpoch - clock.millisecondsSinceEpoch, 0))
            if canSpend >= remaining, let used = rate.millisecondsToSpend(remaining) {
                clock = Instant(millisecondsSinceEpoch: clock.millisecondsSinceEpoch + used)
                forecasts.append(
                    LotForecast(
                        lotId: lot.id,
                        expiresAt: lot.expiresAt,
                        remainingMinor: remaining,
                        spendableMinor: canSpend,
                        forfeitMinor: 0,
                        usedUpOn: clock.civilDateAndTime.date
                    )
                )
            } else {
                clock = max(clock, lot.expiresAt)
                forecasts.append(
                    LotForecast(
                        lotId: lot.id,
                        expiresAt: lot.expiresAt,
                        remainingMinor: remaining,
                        spendableMinor: canSpend,
                        forfeitMinor: remaining - canSpend,
                        usedUpOn: nil
                    )
                )
            }
        }
        lots = forecasts
    }

    static func roundUp(_ amountMinor: Int64, to unit: Int64) -> Int64 {
        (amountMinor + unit - 1) / unit * unit
    }

    static func divideRoundingHalfUp(_ amount: Int64, by divisor: Int64) -> Int64 {
        (amount * 2 + divisor) / (divisor * 2)
    }
}

/// The mean spend as the exact ratio `totalMinor` per `days`, with products in 128 bits: a
/// year of milliseconds times a large total does not fit in 64.
private struct SpendRate {
    let totalMinor: Int64
    let days: Int64

    private var millisecondsOfHistory: Int64 { days * Instant.millisecondsPerDay }

    /// Whole minor units spent in `milliseconds`, rounded down.
    func spent(inMilliseconds milliseconds: Int64) -> Int64 {
        Self.muldiv(totalMinor, milliseconds, millisecondsOfHistory)
    }

    /// How long spending `amountMinor` takes; nil when nothing is spent.
    func millisecondsToSpend(_ amountMinor: Int64) -> Int64? {
        totalMinor > 0 ? Self.muldiv(amountMinor, millisecondsOfHistory, totalMinor) : nil
    }

    /// Whole days `amountMinor` lasts; nil when nothing is spent.
    func daysToSpend(_ amountMinor: Int64) -> Int64? {
        totalMinor > 0 ? Self.muldiv(amountMinor, days, totalMinor) : nil
    }

    /// `a × b / c` rounded down; the quotients here stay far inside 64 bits (a year of a large spend).
    private static func muldiv(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64 {
        c.dividingFullWidth(a.multipliedFullWidth(by: b)).quotient
    }
}
