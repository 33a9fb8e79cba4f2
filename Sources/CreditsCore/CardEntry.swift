/// A card as a person types it, checked before it is handed to the payment provider, which
/// keeps it and answers a token. The service never stores or logs the number: only the token
/// and what the provider says may be shown (brand, last four, expiry) are kept.
public struct CardEntry: Sendable {
    public let number: String
    public let expiryMonth: Int
    public let expiryYear: Int
    public let securityCode: String

    /// The fields as typed: the number with or without spaces or dashes, the expiry as MM/YY
    /// or MM/YYYY, the security code of 3 or 4 digits. A card that expired before `now`'s month
    /// is refused; each refusal names its field (`cardNumber`, `cardExpiry`, `securityCode`).
    public init(number typed: String, expiry: String, securityCode: String, at now: Instant) throws(Refusal) {
        let digits = typed.filter { $0 != " " && $0 != "-" }
        guard (12...19).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), Self.passesLuhn(digits) else {
            throw Refusal.invalid(.invalidCardNumber, "Enter the card number as printed on the card: 12 to 19 digits.")
        }
        let parts = expiry.split(separator: "/", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace }
        guard parts.count == 2, parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }), let month = Int(parts[0]), (1...12).contains(month),
            let written = Int(parts[1]), parts[1].count == 2 || parts[1].count == 4
        else {
            throw Refusal.invalid(.invalidCardExpiry, "Enter the expiry date as on the card, MM/YY.")
        }
        let year = written < 100 ? 2000 + written : written
        let today = now.civilDateAndTime.date
        guard (Int64(year), month) >= (today.year, today.month) else {
            throw Refusal.invalid(
                .invalidCardExpiry,
                "This card expired at the end of \(month < 10 ? "0" : "")\(month)/\(year); use a card that is still valid."
            )
        }
        let code = securityCode.trimmingWhitespace
        guard (3...4).contains(code.count), code.allSatisfy(\.isASCIIDigit) else {
            throw Refusal.invalid(.invalidSecurityCode, "Enter the 3 or 4 digits of the security code on the card.")
        }
        (number, expiryMonth, expiryYear, self.securityCode) = (digits, month, year, code)
    }

    /// The check digit every card number carries (ISO/IEC 7812): it catches a mistyped digit.
    static func passesLuhn(_ digits: String) -> Bool {
        var sum = 0
        for (offset, character) in digits.reversed().enumerated() {
            let digit = Int(character.asciiValue! - UInt8(ascii: "0"))
            sum += offset % 2 == 1 ? (digit * 2 > 9 ? digit * 2 - 9 : digit * 2) : digit
        }
        return sum % 10 == 0
    }
}
