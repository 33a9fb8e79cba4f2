/// ISO 8601 text for instants: always UTC on output ("2026-02-28T09:30:00Z", with ".123"
/// when there are milliseconds); on input a `Z` or a `±hh:mm` offset.
public enum ISO8601 {
    public static func format(_ instant: Instant) -> String {
        let (date, millisecondOfDay) = instant.civilDateAndTime
        guard (0...9999).contains(date.year) else { return slowFormat(date, millisecondOfDay) }
        let seconds = millisecondOfDay / 1000
        let milliseconds = millisecondOfDay % 1000
        // Written digit by digit into the string's own storage: exports format millions of these.
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var position = 0
            func put(_ value: Int64, _ width: Int) {
                var rest = value
                for offset in stride(from: width - 1, through: 0, by: -1) {
                    buffer[position + offset] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                position += width
            }
            func put(_ character: Unicode.Scalar) {
                buffer[position] = UInt8(ascii: character)
                position += 1
            }
            put(date.year, 4)
            put("-")
            put(Int64(date.month), 2)
            put("-")
            put(Int64(date.day), 2)
            put("T")
            put(seconds / 3600, 2)
            put(":")
            put(seconds / 60 % 60, 2)
            put(":")
            put(seconds % 60, 2)
            if milliseconds != 0 {
                put(".")
                put(milliseconds, 3)
            }
            put("Z")
            return position
        }
    }

    /// Years beyond four digits, which no record has but an instant may.
    private static func slowFormat(_ date: CivilDate, _ millisecondOfDay: Int64) -> String {
        let seconds = millisecondOfDay / 1000
        let milliseconds = millisecondOfDay % 1000
        var text = "\(padded(date.year, 4))-\(padded(Int64(date.month), 2))-\(padded(Int64(date.day), 2))"
        text += "T\(padded(seconds / 3600, 2)):\(padded(seconds / 60 % 60, 2)):\(padded(seconds % 60, 2))"
        if milliseconds != 0 { text += ".\(padded(milliseconds, 3))" }
        return text + "Z"
    }

    /// The date "2026-02-28" of an instant, in UTC.
    public static func formatDate(_ instant: Instant) -> String {
        String(format(instant).prefix(10))
    }

    /// The calendar date "2026-02-28".
    public static func formatDate(_ date: CivilDate) -> String {
        formatDate(date.instant())
    }

    /// Parses `YYYY-MM-DDThh:mm:ss[.fff…]` followed by `Z` or `±hh:mm`, or a bare date
    /// `YYYY-MM-DD` (midnight UTC). Fractions beyond milliseconds are truncated.
    public static func parse(_ text: String) -> Instant? {
        let bytes = Array(text.utf8)
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(4), reader.expect(UInt8(ascii: "-")),
            let month = reader.number(2), reader.expect(UInt8(ascii: "-")),
            let day = reader.number(2),
            (1...12).contains(month), day >= 1, day <= Int64(CivilDate.daysIn(month: Int(month), year: year))
        else { return nil }
        let date = CivilDate(year: year, month: Int(month), day: Int(day))
        if reader.atEnd { return date.instant() }
        guard reader.expect(UInt8(ascii: "T")),
            let hour = reader.number(2), reader.expect(UInt8(ascii: ":")),
            let minute = reader.number(2), reader.expect(UInt8(ascii: ":")),
            let second = reader.number(2),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var milliseconds: Int64 = 0
        if reader.expect(UInt8(ascii: ".")) {
            var count = 0
            while let digit = reader.digit() {
                if count < 3 { milliseconds = milliseconds * 10 + digit }
                count += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 3) { milliseconds *= 10 }
        }
        var offsetMinutes: Int64 = 0
        if reader.expect(UInt8(ascii: "Z")) {
        } else if let sign = reader.sign() {
            guard let offsetHours = reader.number(2), reader.expect(UInt8(ascii: ":")),
                let offsetMinute = reader.number(2), offsetHours < 24, offsetMinute < 60
            else { return nil }
            offsetMinutes = sign * (offsetHours * 60 + offsetMinute)
        } else {
            return nil
        }
        guard reader.atEnd else { return nil }
        let millisecondOfDay = ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + milliseconds
        return date.instant(plusMilliseconds: millisecondOfDay)
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

private struct DigitReader {
    let bytes: [UInt8]
    var index = 0

    var atEnd: Bool { index == bytes.count }

    mutating func expect(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func digit() -> Int64? {
        guard index < bytes.count, (48...57).contains(bytes[index]) else { return nil }
        defer { index += 1 }
        return Int64(bytes[index] - 48)
    }

    mutating func number(_ width: Int) -> Int64? {
        var value: Int64 = 0
        for _ in 0..<width {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    mutating func sign() -> Int64? {
        if expect(UInt8(ascii: "+")) { return 1 }
        if expect(UInt8(ascii: "-")) { return -1 }
        return nil
    }
}
