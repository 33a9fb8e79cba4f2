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

    /// As a person reads it in English: "$1,500.00", "-€0.05", "¥1,234", "1,500.00 CHF".
    /// Thousands are grouped; the currency's symbol comes first where it names one currency
    /// (CLDR's English symbols: "$" is the US dollar, "CA$" the Canadian), the code last otherwise.
    public static func forPeople(_ amountMinor: Int64, _ currency: Currency) -> String {
        withSymbol(decimal(amountMinor, currency), currency)
    }

    /// A price in millionths of the currency unit, as rates are kept: `10500` USD is "$0.0105",
    /// with as many decimals as it needs and at least the currency's.
    public static func forPeople(micros: Int64, _ currency: Currency) -> String {
        let magnitude = micros.magnitude
        var fraction = String(magnitude % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > currency.minorUnitExponent, fraction.last == "0" { fraction.removeLast() }
        let text = "\(micros < 0 ? "-" : "")\(magnitude / 1_000_000)\(fraction.isEmpty ? "" : ".")\(fraction)"
        return withSymbol(text, currency)
    }

    /// `-1234.50` becomes "-$1,234.50".
    private static func withSymbol(_ plain: String, _ currency: Currency) -> String {
        let negative = plain.hasPrefix("-")
        let unsigned = negative ? plain.dropFirst() : Substring(plain)
        let whole = unsigned.prefix { $0 != "." }
        let grouped = groupingThousands(whole)
        let number = grouped + unsigned.dropFirst(whole.count)
        guard let symbol = symbols[currency.code] else { return "\(negative ? "-" : "")\(number) \(currency.code)" }
        return "\(negative ? "-" : "")\(symbol)\(number)"
    }

    /// `1234567` is "1,234,567".
    public static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        return (value < 0 ? "-" : "") + groupingThousands(Substring(digits))
    }

    private static func groupingThousands(_ digits: Substring) -> String {
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return grouped
    }

    /// Symbols that say one currency to an English reader; the others are written as codes.
    static let symbols: [String: String] = [
        "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "ILS": "₪", "VND": "₫", "NGN": "₦",
        "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "HKD": "HK$", "MXN": "MX$", "CNY": "CN¥", "BRL": "R$", "TWD": "NT$",
    ]

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

extension MoneyText {
    /// `text` (spaces around it ignored) as an amount in `currency`, or a refusal naming `field`
    /// and showing the form an amount takes, `example`.
    public static func amount(_ text: String, _ currency: Currency, field: ProblemCode, example: String) throws(Refusal) -> Int64 {
        let trimmed = text.trimmingWhitespace
        guard let minor = parseMinor(trimmed, currency) else {
            throw Refusal.invalid(field, "'\(trimmed.prefix(40))' is not an amount in \(currency.code); write it like \(example).")
        }
        return minor
    }
}
