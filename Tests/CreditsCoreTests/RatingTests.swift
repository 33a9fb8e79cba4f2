import CreditsCore
import Testing

func rate(
    _ prefix: String,
    _ type: NumberType = .fixed,
    micros: Int64,
    fee: Int64 = 0,
    first: Int64 = 60,
    next: Int64 = 60,
    from date: String = "2026-01-01"
) -> Rate {
    try! Rate(
        prefix: DialPrefix(prefix),
        destination: "Destination \(prefix)",
        numberType: type,
        rateMicrosPerMinute: micros,
        connectionFeeMicros: fee,
        firstIncrementSeconds: first,
        nextIncrementSeconds: next,
        effectiveFrom: ISO8601.parse(date)!.civilDateAndTime.date
    )
}

func number(_ text: String) -> PhoneNumber { try! PhoneNumber(text) }
func day(_ text: String) -> CivilDate { ISO8601.parse(text)!.civilDateAndTime.date }

@Suite("Rating a call")
struct RatingTests {
    @Test(
        "Billed seconds: up to the first increment, then whole next increments; zero stays zero",
        arguments: [
            (60, 60, 0, 0), (60, 60, 1, 60), (60, 60, 60, 60), (60, 60, 61, 120), (30, 6, 1, 30), (30, 6, 31, 36),
            (30, 6, 36, 36), (30, 6, 37, 42), (1, 1, 59, 59),
        ] as [(Int64, Int64, Int64, Int64)]
    )
    func billedSeconds(first: Int64, next: Int64, duration: Int64, billed: Int64) {
        #expect(rate("44", micros: 10_000, first: first, next: next).billedSeconds(forDuration: duration) == billed)
    }

    @Test("The charge is the fee plus rate x billed seconds / 60, rounded once, half up, to the minor unit")
    func charge() {
        // 1 cent a minute, billed by the second: 30 s is half a cent, rounded up; 29 s rounds down.
        let perSecond = rate("49", micros: 10_000, first: 1, next: 1)
        #expect(perSecond.chargeMinor(forDuration: 30, in: .usd) == 1)
        #expect(perSecond.chargeMinor(forDuration: 29, in: .usd) == 0)
        // A premium number: 10 cents to connect and $1.50 a minute; 61 s bills 120 s.
        let premium = rate("449", .premium, micros: 1_500_000, fee: 100_000)
        #expect(premium.chargeMinor(forDuration: 61, in: .usd) == 310)
        #expect(premium.connectionFeeMinor(in: .usd) == 10)
        #expect(premium.chargeMinor(forDuration: 0, in: .usd) == 0, "a call of zero seconds costs nothing, fee included")
        // Yen have no minor unit: 5 yen a minute, 90 s bills 120 s.
        #expect(rate("81", micros: 5_000_000).chargeMinor(forDuration: 90, in: .jpy) == 10)
        // Rounded once: 7 calls of a third of a cent would be 0 each, but one of 7 x 20 s is 2 cents.
        #expect(rate("1", micros: 10_000, first: 1, next: 1).chargeMinor(forDuration: 140, in: .usd) == 2)
    }

    @Test("The longest affordable duration is in whole increments and never costs more than what is available")
    func longestAffordable() {
        let cent = rate("1", micros: 10_000)
        #expect(cent.longestAffordableSeconds(availableMinor: 5, limit: 600, in: .usd) == 300)
        #expect(cent.longestAffordableSeconds(availableMinor: 100, limit: 600, in: .usd) == 600)
        #expect(cent.longestAffordableSeconds(availableMinor: 0, limit: 600, in: .usd) == 0)
        // By the second, one cent covers up to 89 s (89/60 = 1.48 cents rounds to 1).
        #expect(rate("1", micros: 10_000, first: 1, next: 1).longestAffordableSeconds(availableMinor: 1, limit: 600, in: .usd) == 89)
        for available in Int64(0)...300 {
            for increments in [(60, 60), (30, 6), (1, 1)] as [(Int64, Int64)] {
                let candidate = rate("44", micros: 123_456, fee: 20_000, first: increments.0, next: increments.1)
                let seconds = candidate.longestAffordableSeconds(availableMinor: available, limit: 600, in: .usd)
                #expect(candidate.chargeMinor(forDuration: seconds, in: .usd) <= available)
                if seconds > 0, seconds < 600 {
                    let nextBilled = candidate.billedSeconds(forDuration: seconds) + candidate.nextIncrementSeconds
                    #expect(candidate.chargeMinor(billedSeconds: nextBilled, in: .usd) > available, "one more increment would not be covered")
                }
            }
        }
    }

    @Test("Bad rates are refused with the field named")
    func badRates() {
        #expect {
            try Rate(prefix: DialPrefix("44"), destination: "UK", numberType: .fixed, rateMicrosPerMinute: -1, effectiveFrom: day("2026-01-01"))
        } throws: { ($0 as? Refusal)?.code == .invalidRateMicrosPerMinute }
        #expect {
            try Rate(
                prefix: DialPrefix("44"),
                destination: "UK",
                numberType: .fixed,
                rateMicrosPerMinute: 1,
                firstIncrementSeconds: 0,
                effectiveFrom: day("2026-01-01")
            )
        } throws: { ($0 as? Refusal)?.code == .invalidFirstIncrementSeconds }
    }

    @Test(
        "E.164 numbers: a plus and 1 to 15 digits, nothing else",
        arguments: ["+447700900123", "+1", "+123456789012345"]
    )
    func goodNumbers(_ text: String) throws {
        #expect(try PhoneNumber(text).description == text)
    }

    @Test(arguments: ["447700900123", "+", "+0123", "+1234567890123456", "+44 7700", "+44-7700", "tel:+44", "+4477a", ""])
    func badNumbers(_ text: String) {
        #expect(throws: Refusal.self) { try PhoneNumber(text) }
    }

    @Test("The numbering plan places numbers in countries, North America by area code; Zone A has 44")
    func countries() {
        #expect(NumberingPlan.country(of: number("+14165550100"))?.rawValue == "CA")
        #expect(NumberingPlan.country(of: number("+17875550100"))?.rawValue == "PR")
        #expect(NumberingPlan.country(of: number("+12065550100"))?.rawValue == "US")
        #expect(NumberingPlan.country(of: number("+447700900123"))?.rawValue == "GB")
        #expect(NumberingPlan.country(of: number("+77011234567"))?.rawValue == "KZ")
        #expect(NumberingPlan.country(of: number("+74951234567"))?.rawValue == "RU")
        #expect(NumberingPlan.country(of: number("+8081234")) == nil)
        #expect(NumberingPlan.zoneA.count == 44)
    }
}

@Suite("Rate decks")
struct RateDeckTests {
    let deck = try! RateDeck(
        currency: .usd,
        rates: [
            rate("44", micros: 20_000), rate("447", .mobile, micros: 50_000), rate("447", .mobile, micros: 45_000, from: "2027-01-01"),
            rate("44800", .tollFree, micros: 60_000), rate("1", micros: 10_000, from: "2026-06-01"),
        ]
    )

    @Test("The longest prefix in effect on the call's date wins")
    func longestPrefix() {
        #expect(deck.rate(for: number("+447700900123"), on: day("2026-03-01"))?.rateMicrosPerMinute == 50_000)
        #expect(deck.rate(for: number("+447700900123"), on: day("2027-01-01"))?.rateMicrosPerMinute == 45_000, "the new price from its date")
        #expect(deck.rate(for: number("+442071234567"), on: day("2026-03-01"))?.numberType == .fixed)
        #expect(deck.rate(for: number("+448001234567"), on: day("2026-03-01"))?.numberType == .tollFree)
        #expect(deck.rate(for: number("+33612345678"), on: day("2026-03-01")) == nil)
        #expect(deck.rate(for: number("+12065550100"), on: day("2026-05-31")) == nil, "not yet in effect")
        #expect(deck.rate(for: number("+447700900123"), on: day("2025-12-31")) == nil)
    }

    @Test("The published rates: the one in effect for each prefix and those to come, not those replaced")
    func published() throws {
        let deck = try RateDeck(
            currency: .usd,
            rates: [
                rate("44", micros: 30_000), rate("44", micros: 31_000, from: "2026-06-01"), rate("44", micros: 32_000, from: "2027-01-01"),
                rate("33", micros: 20_000, from: "2026-09-01"),
            ]
        )
        let published = { (date: String) in deck.published(on: day(date)).map { "\($0.prefix)@\($0.rateMicrosPerMinute)" } }
        #expect(published("2026-03-01") == ["33@20000", "44@30000", "44@31000", "44@32000"])
        #expect(published("2026-06-01") == ["33@20000", "44@31000", "44@32000"], "a rate is replaced on the day its successor takes effect")
        #expect(published("2027-02-01") == ["33@20000", "44@32000"])
    }

    @Test("Lookups agree with a scan of every prefix on a generated deck")
    func agreesWithAScan() throws {
        var generator = SeededGenerator(seed: 42)
        var rates: [String: Rate] = [:]
        while rates.count < 2000 {
            let length = Int.random(in: 1...6, using: &generator)
            let prefix =
                String(Int.random(in: 1...9, using: &generator))
                + String((1..<length).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            rates[prefix] = rate(prefix, micros: Int64.random(in: 0...1_000_000, using: &generator))
        }
        let deck = try RateDeck(currency: .usd, rates: rates.values)
        for _ in 0..<5000 {
            let digits =
                String(Int.random(in: 1...9, using: &generator))
                + String((0..<10).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            let scanned = rates.keys.filter { digits.hasPrefix($0) }.max { $0.count < $1.count }.map { rates[$0]! }
            #expect(deck.rate(for: number("+" + digits), on: day("2026-06-01")) == scanned)
        }
    }

    @Test("Two rates for one prefix and date are refused")
    func duplicate() {
        #expect(throws: Refusal.self) { try RateDeck(currency: .usd, rates: [rate("44", micros: 1), rate("44", micros: 2)]) }
    }

    @Test("A deck file names every bad line and gives nothing when one is wrong")
    func file() throws {
        let good =
            "prefix,destination,numberType,rateMicrosPerMinute,connectionFeeMicros,firstIncrementSeconds,nextIncrementSeconds,effectiveFrom\n"
            + "44,\"United Kingdom, Fixed\",fixed,20000,0,60,60,2026-01-01\n447,United Kingdom - Mobile,mobile,50000,0,60,60,2026-01-01\n"
        let rates = try RateDeckFile.rates(Array(good.utf8)).get()
        #expect(rates.map(\.destination) == ["United Kingdom, Fixed", "United Kingdom - Mobile"])
        #expect(try RateDeckFile.rates(Array(RateDeckFile.csv(rates).utf8)).get() == rates, "the CSV form reads back the same")

        let bad =
            good + "0044,X,fixed,1,0,60,60,2026-01-01\n33,France,landline,1,0,60,60,2026-01-01\n34,Spain,fixed,-5,0,60,60,2026-01-01\n"
            + "35,Y,fixed,1,0,0,60,2026-01-01\n36,Z,fixed,1,0,60,60,2026-13-01\n44,Again,fixed,1,0,60,60,2026-01-01\n"
        guard case let .failure(refused) = RateDeckFile.rates(Array(bad.utf8)) else {
            Issue.record("a bad file was taken")
            return
        }
        #expect(refused.lines.map(\.line) == [4, 5, 6, 7, 8, 9])
        #expect(
            refused.lines.map(\.error.code) == [
                .invalidPrefix, .invalidNumberType, .invalidRateMicrosPerMinute,
                .invalidFirstIncrementSeconds, .invalidEffectiveFrom, .duplicateRate,
            ]
        )
        guard case let .failure(noColumn) = RateDeckFile.rates(Array("prefix,destination\n44,UK\n".utf8)) else {
            Issue.record("taken")
            return
        }
        #expect(noColumn.lines.map(\.line) == [1])
    }
}

/// A small deterministic generator, so that a failing case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}
