/// A telephone number in E.164 form: a country code and a national number, at most 15 digits,
/// written with a leading `+`.
public struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    public static let maximumDigits = 15
    /// The digits without the `+`, each 0 to 9.
    public let digits: [UInt8]

    /// Accepts `+` followed by 1 to 15 digits, the first not 0; no spaces or punctuation, so that
    /// a number means one thing.
    public init(_ text: String) throws(Refusal) {
        var digits: [UInt8] = []
        var bytes = text.utf8.makeIterator()
        guard bytes.next() == UInt8(ascii: "+") else { throw Self.invalid(text) }
        while let byte = bytes.next() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits.count < Self.maximumDigits else { throw Self.invalid(text) }
            digits.append(byte - UInt8(ascii: "0"))
        }
        guard let first = digits.first, first != 0 else { throw Self.invalid(text) }
        self.digits = digits
    }

    public var description: String {
        "+" + String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
    }

    private static func invalid(_ text: String) -> Refusal {
        Refusal(
            .invalidNumber,
            detail: "'\(text.prefix(40))' is not an E.164 number: '+' then 1 to \(maximumDigits) digits, the first not 0, with nothing else."
        )
    }
}

/// A destination prefix of a rate deck: E.164 digits without the `+`.
public struct DialPrefix: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let digits: [UInt8]

    public init(_ text: String) throws(Refusal) {
        let body = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !body.isEmpty, body.utf8.count <= PhoneNumber.maximumDigits,
            body.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), body.utf8.first != UInt8(ascii: "0")
        else {
            throw Refusal(
                .invalidPrefix,
                detail:
                    "'\(text.prefix(40))' is not a destination prefix: 1 to \(PhoneNumber.maximumDigits) digits of an E.164 number, the first not 0."
            )
        }
        digits = body.utf8.map { $0 - UInt8(ascii: "0") }
    }

    public var description: String { String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self) }

    public static func < (lhs: DialPrefix, rhs: DialPrefix) -> Bool { lhs.digits.lexicographicallyPrecedes(rhs.digits) }
}
