/// Converts between minor units and the decimal text a person reads and types.
public enum MoneyText {
    /// `1234` USD is "12.34", `-5` USD is "-0.05", `1234` JPY is "1234".
    public static func decimal(_ amountMinor: Int64, _ currency: Currency) -> String {
        let exponent = currency.minorUnitExponent
        let magnitude = amountMinor.magnitude
        let sign = amountMinor < 0 ? "-" : ""
        guard exponent > 0 else { return sign + String(magnitude) }
        let unit = UInt64(currency.minorUnitsPerMajorUnit)
        let fraction = String(magnitude % unit)
        let padded = String(repeating: "0", count: exponent - fraction.count) + fraction
        return "\(sign)\(magnitude / unit).\(padded)"
    }

    /// "12.34 USD".
    public static func withCode(_ amountMinor: Int64, _ currency: Currency) -> String {
        "\(decimal(amountMinor, currency)) \(currency.code)"
    }

    /// Parses "12.34", "12.3", "12" or "-0.05" exactly; `nil` for anything else, for more
    /// decimals than the currency has, or for a value beyond `Int64`.
    public static func parseMinor(_ text: String, _ currency: Currency) -> Int64? {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit),
              fraction.allSatisfy(\.isASCIIDigit),
              fraction.count <= currency.minorUnitExponent,
              parts.count == 1 || !fraction.isEmpty
        else { return nil }
        let padded = fraction + String(repeating: "0", count: currency.minorUnitExponent - fraction.count)
        guard let value = Int64(whole + padded) else { return nil }
        return negative ? -value : value
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
