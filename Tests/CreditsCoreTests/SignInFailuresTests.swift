import CreditsCore
import Testing

/// Our rule against guessing passwords (`SignInFailures`).
@Suite struct SignInFailuresTests {
    let start = ISO8601.parse("2027-03-01T09:00:00Z")!

    func at(_ seconds: Int64) -> Instant { start.adding(seconds: seconds) }

    /// Begins and fails an attempt; the wait when it was refused.
    @discardableResult
    func fail(_ failures: inout SignInFailures, _ name: String, from address: String? = nil, at instant: Instant) -> Int64? {
        switch failures.begin(name: name, address: address, at: instant) {
        case let .success(attempt):
            failures.finish(attempt, succeeded: false)
            return nil
        case let .failure(throttled):
            return throttled.waitSeconds
        }
    }

    func wait(_ failures: inout SignInFailures, _ name: String, from address: String? = nil, at instant: Instant) -> Int64? {
        if case let .failure(throttled) = failures.begin(name: name, address: address, at: instant) { return throttled.waitSeconds }
        return nil
    }

    @Test func fiveFailuresWithinFifteenMinutesStopTheNameUntilTheOldestIsFifteenMinutesOld() {
        var failures = SignInFailures()
        for minute in Int64(0)..<4 { #expect(fail(&failures, "ann@contoso.com", at: at(minute * 60)) == nil) }
        #expect(fail(&failures, "ann@contoso.com", at: at(240)) == nil, "the fifth may still try")
        #expect(wait(&failures, "ann@contoso.com", at: at(240)) == 660, "until 09:15, when the first is 15 minutes old")
        #expect(wait(&failures, " ANN@contoso.com", at: at(600)) == 300, "the same name however written")
        #expect(wait(&failures, "bob@contoso.com", at: at(300)) == nil, "other names go on")
    }

    @Test func attemptsThatBeginTogetherAreCountedAsTheyBegin() {
        var failures = SignInFailures()
        var begun: [SignInFailures.Attempt] = []
        var refused = 0
        for _ in 0..<40 {
            switch failures.begin(name: "ann@contoso.com", address: nil, at: start) {
            case let .success(attempt): begun.append(attempt)
            case .failure: refused += 1
            }
        }
        #expect(begun.count == SignInFailures.allowedPerName && refused == 35, "forty at once: five checked, thirty-five refused")
        for attempt in begun { failures.finish(attempt, succeeded: false) }
        #expect(wait(&failures, "ann@contoso.com", at: at(1)) != nil)
    }

    @Test func failuresSpreadBeyondTheWindowAndASuccessDoNotCount() {
        var failures = SignInFailures()
        for minute in stride(from: Int64(0), to: 50, by: 10) { fail(&failures, "ann@contoso.com", at: at(minute * 60)) }
        #expect(wait(&failures, "ann@contoso.com", at: at(40 * 60)) == nil, "only two within 15 minutes")
        for second in Int64(0)..<4 { fail(&failures, "bob@contoso.com", at: at(second)) }
        if case let .success(attempt) = failures.begin(name: "bob@contoso.com", address: nil, at: at(4)) {
            failures.finish(attempt, succeeded: true)
        }
        fail(&failures, "bob@contoso.com", at: at(5))
        #expect(wait(&failures, "bob@contoso.com", at: at(6)) == nil, "a success starts the count again")
    }

    @Test func oneAddressTryingManyNamesIsStoppedToo() {
        var failures = SignInFailures()
        for index in 0..<SignInFailures.allowedPerAddress {
            #expect(fail(&failures, "user\(index)@contoso.com", from: "192.0.2.7", at: at(Int64(index))) == nil)
        }
        let sameAddress = wait(&failures, "another@contoso.com", from: "192.0.2.7", at: at(30))
        let otherAddress = wait(&failures, "another@contoso.com", from: "192.0.2.8", at: at(30))
        #expect(sameAddress == 870, "until the first failure from the address is 15 minutes old")
        #expect(otherAddress == nil, "another address goes on")
    }

    @Test func theTableStaysWithinItsCapacityAndKeepsTheNewest() {
        var failures = SignInFailures(capacity: 100)
        for index in 0..<1_000 { fail(&failures, "user\(index)@contoso.com", at: at(Int64(index))) }
        #expect(failures.count <= 100)
        for _ in 0..<4 { fail(&failures, "user999@contoso.com", at: at(1_000)) }
        #expect(wait(&failures, "user999@contoso.com", at: at(1_001)) != nil, "the newest name's failures were kept")
    }
}
