/// The bounds on what the telephony platform reports (our rule). Every count that comes from
/// outside is checked against them before it is multiplied or added, so that no request can
/// make the arithmetic overflow: a week of seconds times the largest rate a deck may hold
/// stays far inside `Int64`.
public enum CallLimits {
    /// A call lasts at most a week; anything longer is a platform's mistake.
    public static let maximumDurationSeconds: Int64 = 7 * 86_400
    /// One SMS record is at most 1,000 message units (a long text is a few dozen).
    public static let maximumMessageUnits: Int64 = 1_000
    /// The most a tenant may owe (10^15 minor units): an uploaded record that would take its
    /// debt beyond this is refused, so that debt can never overflow.
    public static let maximumDebtMinor: Int64 = LedgerLimits.maximumAmountMinor

    /// `seconds` when it is 0 to a week; a refusal naming `field` otherwise.
    public static func checkedSeconds(_ seconds: Int64, field: ProblemCode) throws(Refusal) -> Int64 {
        guard (0...maximumDurationSeconds).contains(seconds) else {
            throw Refusal.invalid(field, "\(field.field) is 0 to \(maximumDurationSeconds) seconds (a week), not \(seconds).")
        }
        return seconds
    }

    /// `units` when it is 0 to `maximumMessageUnits`; a refusal otherwise.
    public static func checkedMessageUnits(_ units: Int64) throws(Refusal) -> Int64 {
        guard (0...maximumMessageUnits).contains(units) else {
            throw Refusal.invalid(.invalidMessageUnits, "messageUnits is 0 to \(maximumMessageUnits), not \(units).")
        }
        return units
    }

    // MARK: The platform's clock and counts (`DOMAIN.md` section 7: checked, not trusted)

    /// How far a start or an end may be dated from the service's clock: platforms keep time by
    /// NTP, so minutes off is a broken clock, and a call dated elsewhere would be rated on the
    /// wrong day and drawn from the wrong month's pool.
    public static let maximumClockSkewSeconds: Int64 = 300
    /// How many seconds a call may report beyond what was granted (and beyond its own start and
    /// end times): a platform that cuts the call at its grant, with a timer of one-second
    /// resolution and a report in flight, overruns by a second or two.
    public static let grantToleranceSeconds: Int64 = 5

    /// How long after a silent session's deadline its late *end* may still replace the
    /// time-out's charge (our rule: an hour). A platform that lost an end resends it within
    /// minutes; a charge that could change at any time would leave the report and the balance
    /// never final. A post-usage call is also past correcting once its month has ended, since
    /// its month's invoice is issued then.
    public static let lateEndWindowSeconds: Int64 = 3_600

    /// A late *end* that may still correct its session's time-out charge; a refusal otherwise.
    public static func checkLateEnd(of session: CallSession, at now: Instant) throws(Refusal) {
        let closesAt = session.expiresAt.adding(seconds: lateEndWindowSeconds)
        let invoiced = session.capability == .postUsage && CalendarMonth(of: now) != CalendarMonth(of: session.start.startTime)
        guard now < closesAt, !invoiced else {
            throw Refusal(
                .lateEndWindowClosed,
                detail:
                    "Call session '\(session.id)' was charged by its time-out at \(session.expiresAt); an end may replace that charge until \(invoiced ? "its month ends" : "\(closesAt)").",
                remedy: "The time-out's charge stands; send ends within \(lateEndWindowSeconds / 60) minutes of a call's deadline."
            )
        }
    }

    /// A *start* dated within `maximumClockSkewSeconds` of the service's clock; a refusal otherwise.
    public static func checkStartTime(_ startTime: Instant, at now: Instant) throws(Refusal) {
        guard abs(startTime.millisecondsSinceEpoch - now.millisecondsSinceEpoch) <= maximumClockSkewSeconds * 1_000 else {
            throw Refusal(
                .startTimeOutOfRange,
                detail: "startTime \(startTime) is more than \(maximumClockSkewSeconds) seconds from the service's clock (\(now)).",
                remedy: "Check the platform's clock (NTP), or send the start when the call starts."
            )
        }
    }

    /// An *update*'s seconds used, within the grant and its tolerance; a refusal otherwise.
    public static func checkUsedSeconds(_ used: Int64, granted: Int64) throws(Refusal) {
        guard used <= granted + grantToleranceSeconds else {
            throw Refusal(
                .usedBeyondGrant,
                detail: "usedSeconds \(used) is more than the \(granted) seconds granted (plus \(grantToleranceSeconds)).",
                remedy: "End the call when its grant runs out, or ask for more before it does."
            )
        }
    }

    /// The seconds an *end* is charged for: what it reports, but at most what was granted and
    /// what fits between the start and the end, each with the tolerance. A call is a fact, so
    /// its end is clamped rather than refused (a refused end would leave the session to be
    /// charged its whole grant at its time-out), and the customer never pays for time the
    /// service did not grant. An end before its start, or dated ahead of the service's clock,
    /// is refused: it cannot be a call's end.
    public static func chargedSeconds(
        reported: Int64,
        granted: Int64,
        startTime: Instant,
        endTime: Instant,
        at now: Instant
    ) throws(Refusal) -> Int64 {
        guard endTime >= startTime else {
            throw Refusal(
                .endBeforeStart,
                detail: "endTime \(endTime) comes before the call's start (\(startTime)).",
                remedy: "Send the end time the call really ended, by the platform's clock."
            )
        }
        guard endTime.millisecondsSinceEpoch - now.millisecondsSinceEpoch <= maximumClockSkewSeconds * 1_000 else {
            throw Refusal(
                .endTimeOutOfRange,
                detail: "endTime \(endTime) is more than \(maximumClockSkewSeconds) seconds ahead of the service's clock (\(now)).",
                remedy: "Check the platform's clock (NTP)."
            )
        }
        let wallSeconds = (endTime.millisecondsSinceEpoch - startTime.millisecondsSinceEpoch + 999) / 1_000
        return min(reported, min(granted, wallSeconds) + grantToleranceSeconds)
    }
}
