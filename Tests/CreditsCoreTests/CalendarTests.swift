import CreditsCore
import Testing

@Suite struct CalendarTests {
    func instant(_ text: String) -> Instant { ISO8601.parse(text)! }

    @Test func twelveMonthsLaterIsTheSameInstant() {
        #expect(instant("2026-03-15T10:20:30.123Z").adding(months: 12) == instant("2027-03-15T10:20:30.123Z"))
    }

    @Test func leapDayExpiresOnTheLastDayOfFebruary() {
        #expect(instant("2028-02-29T23:59:59Z").adding(months: 12) == instant("2029-02-28T23:59:59Z"))
        #expect(instant("2028-02-29T00:00:00Z").adding(months: 48) == instant("2032-02-29T00:00:00Z"))
    }

    @Test func shortMonthsClampToTheirLastDay() {
        #expect(instant("2027-01-31T08:00:00Z").adding(months: 1) == instant("2027-02-28T08:00:00Z"))
        #expect(instant("2028-01-31T08:00:00Z").adding(months: 1) == instant("2028-02-29T08:00:00Z"))
        #expect(instant("2027-05-31T08:00:00Z").adding(months: -1) == instant("2027-04-30T08:00:00Z"))
        #expect(instant("2027-12-31T08:00:00Z").adding(months: 2) == instant("2028-02-29T08:00:00Z"))
    }

    @Test func civilDatesRoundTripAcrossCenturies() {
        var day: Int64 = -800_000
        while day < 800_000 {
            let date = Instant(millisecondsSinceEpoch: day * Instant.millisecondsPerDay).civilDateAndTime.date
            #expect(date.daysSinceEpoch == day)
            day += 997
        }
        #expect(CivilDate(year: 2000, month: 2, day: 29).daysSinceEpoch == 11016)
        #expect(Instant(millisecondsSinceEpoch: -1).civilDateAndTime.date == CivilDate(year: 1969, month: 12, day: 31))
    }

    @Test func formatsAndParsesISO8601() {
        #expect(ISO8601.format(Instant(millisecondsSinceEpoch: 0)) == "1970-01-01T00:00:00Z")
        #expect(ISO8601.format(instant("2026-11-21T07:26:20.5Z")) == "2026-11-21T07:26:20.500Z")
        #expect(instant("2026-11-21T09:26:20+02:00") == instant("2026-11-21T07:26:20Z"))
        #expect(instant("2026-11-21T00:30:00-01:00") == instant("2026-11-21T01:30:00Z"))
        #expect(instant("2026-11-21") == instant("2026-11-21T00:00:00Z"))
        #expect(instant("2026-11-21T07:26:20.123456Z").millisecondsSinceEpoch % 1000 == 123)
        #expect(instant("2028-02-29T10:00:00Z").startOfMonth == instant("2028-02-01T00:00:00Z"))
    }

    @Test(arguments: [
        "", "2026", "2026-13-01", "2027-02-29", "2026-11-21T24:00:00Z", "2026-11-21T10:00:00",
        "2026-11-21T10:00:00+0200", "2026-11-21T10:00:00.Z", "2026-11-21 10:00:00Z", "2026-11-21T10:00:00Zjunk",
        "२०२६-11-21",
    ])
    func refusesMalformedInstants(_ text: String) {
        #expect(ISO8601.parse(text) == nil)
    }
}

@Suite struct MoneyTests {
    @Test func exponentsFollowISO4217() {
        #expect(Currency(code: "USD")?.minorUnitExponent == 2)
        #expect(Currency(code: "jpy")?.minorUnitExponent == 0)
        #expect(Currency(code: "BHD")?.minorUnitExponent == 3)
        #expect(Currency(code: "CLF")?.minorUnitExponent == 4)
        #expect(Currency(code: "XXX") == nil)
        #expect(Currency(code: "") == nil)
    }

    @Test func showsMinorUnitsAsDecimals() {
        #expect(MoneyText.decimal(1234, .usd) == "12.34")
        #expect(MoneyText.decimal(-5, .usd) == "-0.05")
        #expect(MoneyText.decimal(1234, .jpy) == "1234")
        #expect(MoneyText.decimal(1, Currency(code: "KWD")!) == "0.001")
        #expect(MoneyText.withCode(100_000, .eur) == "1000.00 EUR")
        #expect(MoneyText.decimal(Int64.min, .usd) == "-92233720368547758.08")
    }

    @Test func showsMoneyForPeople() {
        #expect(MoneyText.forPeople(150_000, .usd) == "$1,500.00")
        #expect(MoneyText.forPeople(-5, .eur) == "-€0.05")
        #expect(MoneyText.forPeople(99_999, .usd) == "$999.99")
        #expect(MoneyText.forPeople(123_456_789, .jpy) == "¥123,456,789")
        #expect(MoneyText.forPeople(100_000, Currency(code: "CHF")!) == "1,000.00 CHF")
        #expect(MoneyText.forPeople(1_234_567, Currency(code: "KWD")!) == "1,234.567 KWD")
        #expect(MoneyText.forPeople(250_00, Currency(code: "CAD")!) == "CA$250.00")
        #expect(MoneyText.forPeople(Int64.min, .usd) == "-$92,233,720,368,547,758.08")
        #expect(MoneyText.forPeople(0, .usd) == "$0.00")
        #expect(MoneyText.forPeople(micros: 10_500, .usd) == "$0.0105")
        #expect(MoneyText.forPeople(micros: 20_000, .usd) == "$0.02")
        #expect(MoneyText.forPeople(micros: 1_234_000_000, .eur) == "€1,234.00")
        #expect(MoneyText.forPeople(micros: 1_500_000, .jpy) == "¥1.5")
        #expect(MoneyText.forPeople(micros: 3_000_000, .jpy) == "¥3")
        #expect(MoneyText.forPeople(micros: Rate.maximumMicros, .usd) == "$1,000,000.00")
    }

    @Test func showsDatesForPeople() {
        #expect(ReadableDate.day(CivilDate(year: 2026, month: 12, day: 3)) == "3 Dec 2026")
        #expect(ReadableDate.minute(ISO8601.parse("2027-01-09T07:05:59.999Z")!) == "9 Jan 2027, 07:05")
        #expect(ReadableDate.minute(ISO8601.parse("2026-11-30T23:59:00Z")!) == "30 Nov 2026, 23:59")
    }

    @Test func parsesDecimalsExactly() {
        #expect(MoneyText.parseMinor("12.34", .usd) == 1234)
        #expect(MoneyText.parseMinor("12.3", .usd) == 1230)
        #expect(MoneyText.parseMinor("12", .usd) == 1200)
        #expect(MoneyText.parseMinor("-0.05", .usd) == -5)
        #expect(MoneyText.parseMinor("500", .jpy) == 500)
        for bad in ["", ".5", "12.", "12.345", "1e3", "12,34", "--1", "1.2.3", "99999999999999999999", " 1"] {
            #expect(MoneyText.parseMinor(bad, .usd) == nil, "\(bad)")
        }
        #expect(MoneyText.parseMinor("1.5", .jpy) == nil)
    }
}
