/// An ISO 4217 currency and the number of decimal places of its minor unit.
///
/// Money is always an `Int64` count of minor units (cents for USD, yen for JPY, fils for
/// BHD); the exponent says how to show it to a person.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let minorUnitExponent: Int

    /// The currency with this ISO 4217 code, or `nil` for a code that is not an active currency.
    public init?(code: String) {
        let upper = code.uppercased()
        if let exponent = Self.nonDecimalExponents[upper] {
            self.init(code: upper, minorUnitExponent: exponent)
        } else if Self.twoDecimalCodes.contains(upper) {
            self.init(code: upper, minorUnitExponent: 2)
        } else {
            return nil
        }
    }

    private init(code: String, minorUnitExponent: Int) {
        self.code = code
        self.minorUnitExponent = minorUnitExponent
    }

    public var description: String { code }

    /// Minor units in one major unit: 100 for USD, 1 for JPY, 1000 for BHD.
    public var minorUnitsPerMajorUnit: Int64 {
        var result: Int64 = 1
        for _ in 0..<minorUnitExponent { result *= 10 }
        return result
    }

    public static let usd = Currency(code: "USD", minorUnitExponent: 2)
    public static let eur = Currency(code: "EUR", minorUnitExponent: 2)
    public static let jpy = Currency(code: "JPY", minorUnitExponent: 0)

    /// Active ISO 4217 codes whose minor unit is not two decimal places.
    private static let nonDecimalExponents: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
        "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
        "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        "CLF": 4, "UYW": 4,
    ]

    /// Active ISO 4217 codes with two decimal places.
    private static let twoDecimalCodes: Set<String> = [
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
        "BDT", "BGN", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
        "CDF", "CHF", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP",
        "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD",
        "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR",
        "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD",
        "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN",
        "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON",
        "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD",
        "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD",
        "TZS", "UAH", "USD", "UYU", "UZS", "VES", "WST", "XCD", "YER", "ZAR", "ZMW", "ZWG",
    ]
}
