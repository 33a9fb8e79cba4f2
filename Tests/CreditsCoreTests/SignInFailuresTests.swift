import CreditsCore
import Testing

/// Our rule against guessing passwords (`SignInFailures`).
@Suite struct SignInFailuresTests {
    let start = ISO8601.parse("2027-03-01T09:00:00Z")!

    @Test func fiveFailuresWithinFifteenMinutesStopTheNameUntilTheOldestIsFifteenMinutesOld() {
        var failures = SignInFailures()
        for minute in 0..<4 { failures.recordFailure(of: "ann@contoso.com", at: start.adding(seconds: Int64(minute) * 60)) }
        #expect(failures.waitSeconds(for: "ann@contoso.com", at: start.adding(seconds: 240)) == nil, "four may try again")
        failures.recordFailure(of: "ann@contoso.com", at: start.adding(seconds: 240))
        #expect(failures.waitSeconds(for: "ann@contoso.com", at: start.adding(seconds: 240)) == 660, "until 09:15, when the first is 15 minutes old")
        #expect(failures.waitSeconds(for: " ANN@contoso.com", at: start.adding(seconds: 600)) == 300, "the same name however written")
        #expect(failures.waitSeconds(for: "ann@contoso.com", at: start.adding(seconds: 900)) == nil)
        #expect(failures.waitSeconds(for: "bob@contoso.com", at: start.adding(seconds: 300)) == nil, "other names go on")
    }

    @Test func failuresSpreadBeyondTheWindowAndASuccessDoNotCount() {
        var failures = SignInFailures()
        for minute in stride(from: 0, to: 50, by: 10) { failures.recordFailure(of: "ann@contoso.com", at: start.adding(seconds: Int64(minute) * 60)) }
        #expect(failures.waitSeconds(for: "ann@contoso.com", at: start.adding(seconds: 40 * 60)) == nil, "only two within 15 minutes")
        for second in 0..<4 { failures.recordFailure(of: "bob@contoso.com", at: start.adding(seconds: Int64(second))) }
        failures.recordSuccess(of: "bob@contoso.com")
        failures.recordFailure(of: "bob@contoso.com", at: start.adding(seconds: 5))
        #expect(failures.waitSeconds(for: "bob@contoso.com", at: start.adding(seconds: 6)) == nil, "a success starts the count again")
    }
}
