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
    public static func checkedSeconds(_ seconds: Int64, field: String) throws(BillingError) -> Int64 {
        guard (0...maximumDurationSeconds).contains(seconds) else {
            throw BillingError.invalid(field, "\(field) is 0 to \(maximumDurationSeconds) seconds (a week), not \(seconds).")
        }
        return seconds
    }

    /// `units` when it is 0 to `maximumMessageUnits`; a refusal otherwise.
    public static func checkedMessageUnits(_ units: Int64) throws(BillingError) -> Int64 {
        guard (0...maximumMessageUnits).contains(units) else {
            throw BillingError.invalid("messageUnits", "messageUnits is 0 to \(maximumMessageUnits), not \(units).")
        }
        return units
    }
}
