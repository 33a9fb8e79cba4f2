/// The kind of number a rate applies to (`DOMAIN.md` section 6).
public enum NumberType: String, Hashable, Sendable, CaseIterable {
    case fixed
    case mobile
    case tollFree
    case premium
    case sharedCost
}

/// One row of a rate deck: what a minute to numbers starting with `prefix` costs, from
/// `effectiveFrom` on. Rates are in millionths of the currency unit.
public struct Rate: Hashable, Sendable {
    public static let maximumMicros: Int64 = 1_000_000_000_000
    public static let maximumIncrementSeconds: Int64 = 3600
    public static let defaultIncrementSeconds: Int64 = 60

    public let prefix: DialPrefix
    public let destination: String
    public let numberType: NumberType
    public let rateMicrosPerMinute: Int64
    public let connectionFeeMicros: Int64
    public let firstIncrementSeconds: Int64
    public let nextIncrementSeconds: Int64
    public let effectiveFrom: CivilDate

    public init(
        prefix: DialPrefix,
        destination: String,
        numberType: NumberType,
        rateMicrosPerMinute: Int64,
        connectionFeeMicros: Int64 = 0,
        firstIncrementSeconds: Int64 = defaultIncrementSeconds,
        nextIncrementSeconds: Int64 = defaultIncrementSeconds,
        effectiveFrom: CivilDate
    ) throws(Refusal) {
        let name = destination.trimmingWhitespace
        guard !name.isEmpty, name.count <= 100, !name.hasControlCharacters else {
            throw Refusal.invalid(.invalidDestination, "A destination name is 1 to 100 characters.")
        }
        for (field, micros) in [(ProblemCode.invalidRateMicrosPerMinute, rateMicrosPerMinute), (.invalidConnectionFeeMicros, connectionFeeMicros)]
        where !(0...Self.maximumMicros).contains(micros) {
            throw Refusal.invalid(field, "\(field.field) is 0 to \(Self.maximumMicros) millionths of the currency unit, not \(micros).")
        }
        for (field, seconds) in [
            (ProblemCode.invalidFirstIncrementSeconds, firstIncrementSeconds), (.invalidNextIncrementSeconds, nextIncrementSeconds),
        ]
        where !(1...Self.maximumIncrementSeconds).contains(seconds) {
            throw Refusal.invalid(field, "\(field.field) is 1 to \(Self.maximumIncrementSeconds) seconds, not \(seconds).")
        }
        self.prefix = prefix
        self.destination = name
        self.numberType = numberType
        self.rateMicrosPerMinute = rateMicrosPerMinute
        self.connectionFeeMicros = connectionFeeMicros
        self.firstIncrementSeconds = firstIncrementSeconds
        self.nextIncrementSeconds = nextIncrementSeconds
        self.effectiveFrom = effectiveFrom
    }

    // MARK: The charge of a call (`DOMAIN.md` section 6)

    /// The duration rounded up to the first increment, then to whole next increments; zero stays zero.
    public func billedSeconds(forDuration seconds: Int64) -> Int64 {
        guard seconds > 0 else { return 0 }
        guard seconds > firstIncrementSeconds else { return firstIncrementSeconds }
        let beyond = seconds - firstIncrementSeconds
        return firstIncrementSeconds + (beyond + nextIncrementSeconds - 1) / nextIncrementSeconds * nextIncrementSeconds
    }

    /// Connection fee plus rate x billed seconds / 60, rounded once, half up, to the minor unit.
    /// Billed seconds of zero cost nothing, connection fee included.
    public func chargeMinor(billedSeconds: Int64, in currency: Currency) -> Int64 {
        guard billedSeconds > 0 else { return 0 }
        // Outside input is bounded before it comes here (`CallLimits`), so the product stays far
        // inside Int64: 10^12 millionths a minute times about 600,000 seconds.
        precondition(billedSeconds <= 2 * CallLimits.maximumDurationSeconds, "billed seconds are bounded by CallLimits")
        let micros60 = connectionFeeMicros * 60 + rateMicrosPerMinute * billedSeconds
        return Self.roundHalfUp(micros60, over: 60 * Self.microsPerMinorUnit(currency))
    }

    /// The charge of a call that lasted `seconds`.
    public func chargeMinor(forDuration seconds: Int64, in currency: Currency) -> Int64 {
        chargeMinor(billedSeconds: billedSeconds(forDuration: seconds), in: currency)
    }

    /// The connection fee alone, in minor units, for the usage record.
    public func connectionFeeMinor(in currency: Currency) -> Int64 {
        Self.roundHalfUp(connectionFeeMicros, over: Self.microsPerMinorUnit(currency))
    }

    /// The longest billed duration, in whole increments, whose charge `availableMinor` covers,
    /// or `limit` when that is shorter. Zero when not even the first increment is covered.
    public func longestAffordableSeconds(availableMinor: Int64, limit: Int64, in currency: Currency) -> Int64 {
        Self.longestAffordable(limit: limit, firstIncrement: firstIncrementSeconds, nextIncrement: nextIncrementSeconds) {
            chargeMinor(billedSeconds: $0, in: currency) <= availableMinor
        }
    }

    /// Finds the longest increment-aligned duration that `affordable` accepts, up to `limit`,
    /// by doubling then halving: charges grow with duration, so the search is exact.
    static func longestAffordable(limit: Int64, firstIncrement: Int64, nextIncrement: Int64, _ affordable: (Int64) -> Bool) -> Int64 {
        guard limit > 0 else { return 0 }
        let billedLimit =
            limit <= firstIncrement
            ? firstIncrement
            : firstIncrement + (limit - firstIncrement + nextIncrement - 1) / nextIncrement * nextIncrement
        if affordable(billedLimit) { return limit }
        guard affordable(firstIncrement) else { return 0 }
        // firstIncrement + k * nextIncrement is affordable at k = low and not at k = high.
        var low: Int64 = 0
        var high = (billedLimit - firstIncrement) / nextIncrement
        while low + 1 < high {
            let middle = (low + high) / 2
            if affordable(firstIncrement + middle * nextIncrement) { low = middle } else { high = middle }
        }
        return min(limit, firstIncrement + low * nextIncrement)
    }

    /// Minor units per millionth: 10,000 for a two-decimal currency.
    static func microsPerMinorUnit(_ currency: Currency) -> Int64 { 1_000_000 / currency.minorUnitsPerMajorUnit }

    static func roundHalfUp(_ numerator: Int64, over denominator: Int64) -> Int64 {
        (numerator + denominator / 2) / denominator
    }
}
