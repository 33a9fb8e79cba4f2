import CreditsCore
import Testing

/// Who pays for each kind of call (`DOMAIN.md` section 7), before pools and balance are looked at.
@Suite("Call routing")
struct RoutingTests {
    static let deck = try! RateDeck(
        currency: .usd,
        rates: [
            rate("1", micros: 10_000), rate("1800", .tollFree, micros: 30_000), rate("44", micros: 20_000), rate("447", .mobile, micros: 50_000),
            rate("49", micros: 20_000), rate("91", micros: 100_000),
        ]
    )

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let type: CallType
        let licenses: Set<LicenseSku>?
        let location: String
        let callee: String
        let pools: [String]
        let fallback: CallRoute.Fallback
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "emergency: free, whoever calls",
            type: .emergencyOut,
            licenses: [],
            location: "US",
            callee: "+1911",
            pools: [],
            fallback: .free(.emergency)
        ),
        Case(
            name: "incoming to the user's number: included",
            type: .userIn,
            licenses: [.phoneSystem],
            location: "US",
            callee: "+12065550100",
            pools: [],
            fallback: .free(.incoming)
        ),
        Case(
            name: "toll-free into a call queue: the tenant's credits",
            type: .resourceAccountIn,
            licenses: nil,
            location: "US",
            callee: "+18005550199",
            pools: [],
            fallback: .credits(.communicationsCredits, licenseRequired: false)
        ),
        Case(
            name: "toll-free into a conference: the tenant's credits",
            type: .conferenceIn,
            licenses: [.audioConferencing],
            location: "US",
            callee: "+18005550199",
            pools: [],
            fallback: .credits(.communicationsCredits, licenseRequired: false)
        ),
        Case(
            name: "domestic on a Domestic plan: its pool, then credits",
            type: .userOut,
            licenses: [.phoneSystem, .domesticCallingPlan],
            location: "US",
            callee: "+12065550100",
            pools: ["MCOPSTN1/US×1"],
            fallback: .credits(.communicationsCredits, licenseRequired: true)
        ),
        Case(
            name: "international on a Domestic plan: credits",
            type: .userOut,
            licenses: [.phoneSystem, .domesticCallingPlan],
            location: "US",
            callee: "+442071234567",
            pools: [],
            fallback: .credits(.communicationsCredits, licenseRequired: true)
        ),
        Case(
            name: "international on MCOPSTN2: its units, 5 a second",
            type: .userOut,
            licenses: [.phoneSystem, .domesticAndInternationalCallingPlan],
            location: "GB",
            callee: "+12065550100",
            pools: ["MCOPSTN2/GB×5"],
            fallback: .credits(.communicationsCredits, licenseRequired: true)
        ),
        Case(
            name: "domestic on MCOPSTN2: its units, 1 a second",
            type: .userOutForwarding,
            licenses: [.phoneSystem, .domesticAndInternationalCallingPlan],
            location: "GB",
            callee: "+447700900123",
            pools: ["MCOPSTN2/GB×1"],
            fallback: .credits(.communicationsCredits, licenseRequired: true)
        ),
        Case(
            name: "domestic on a 120-minute plan",
            type: .userOutTransfer,
            licenses: [.phoneSystem, .domesticCallingPlan120],
            location: "GB",
            callee: "+442071234567",
            pools: ["MCOPSTN5/GB×1"],
            fallback: .credits(.communicationsCredits, licenseRequired: true)
        ),
        Case(
            name: "Pay-As-You-Go: every outgoing minute on credits",
            type: .userOut,
            licenses: [.phoneSystem, .payAsYouGoCallingPlan],
            location: "US",
            callee: "+12065550100",
            pools: [],
            fallback: .credits(.communicationsCredits, licenseRequired: true)
        ),
        Case(
            name: "no calling plan: cannot reach the network",
            type: .userOut,
            licenses: [.enterpriseE5, .communicationsCredits],
            location: "US",
            callee: "+12065550100",
            pools: [],
            fallback: .refused(.noCallingPlan)
        ),
        Case(
            name: "conference dial-out to Zone A: the conferencing pool",
            type: .conferenceOut,
            licenses: [.enterpriseE5],
            location: "US",
            callee: "+447700900123",
            pools: ["MCOMEETADD×1"],
            fallback: .credits(.communicationsCredits, licenseRequired: true)
        ),
        Case(
            name: "conference dial-out outside Zone A: credits",
            type: .conferenceOut,
            licenses: [.audioConferencing],
            location: "US",
            callee: "+919812345678",
            pools: [],
            fallback: .credits(.communicationsCredits, licenseRequired: true)
        ),
        Case(
            name: "pay-per-minute conferencing dial-out: credits, no credits license needed",
            type: .conferenceOut,
            licenses: [.audioConferencingPayPerMinute],
            location: "US",
            callee: "+447700900123",
            pools: [],
            fallback: .credits(.payPerMinuteConferencing, licenseRequired: false)
        ),
        Case(
            name: "pay-per-minute conferencing dial-in: credits",
            type: .conferenceIn,
            licenses: [.audioConferencingPayPerMinute],
            location: "US",
            callee: "+12065550100",
            pools: [],
            fallback: .credits(.payPerMinuteConferencing, licenseRequired: false)
        ),
        Case(
            name: "toll dial-in to a conference: included",
            type: .conferenceIn,
            licenses: [.audioConferencing],
            location: "US",
            callee: "+12065550100",
            pools: [],
            fallback: .free(.incoming)
        ),
        Case(
            name: "a call queue calling out: credits, no user license",
            type: .resourceAccountOut,
            licenses: nil,
            location: "US",
            callee: "+442071234567",
            pools: [],
            fallback: .credits(.communicationsCredits, licenseRequired: false)
        ),
        Case(
            name: "no rate for the number: refused",
            type: .userOut,
            licenses: [.phoneSystem, .payAsYouGoCallingPlan],
            location: "US",
            callee: "+33612345678",
            pools: [],
            fallback: .refused(.unknownDestination)
        ),
        Case(
            name: "a user's call without a user: refused",
            type: .userOut,
            licenses: nil,
            location: "US",
            callee: "+12065550100",
            pools: [],
            fallback: .refused(.unknownUser)
        ),
        Case(
            name: "an SMS out: credits",
            type: .smsOut,
            licenses: [.phoneSystem, .domesticCallingPlan],
            location: "US",
            callee: "+12065550100",
            pools: [],
            fallback: .credits(.communicationsCredits, licenseRequired: true)
        ),
        Case(
            name: "an SMS in: free",
            type: .smsIn,
            licenses: [.phoneSystem],
            location: "US",
            callee: "+12065550100",
            pools: [],
            fallback: .free(.incoming)
        ),
    ]

    @Test(arguments: cases)
    func route(_ example: Case) throws {
        let user = try example.licenses.map {
            try User(
                upn: UserPrincipalName("someone@contoso.com"),
                displayName: "Someone",
                usageLocation: CountryCode(example.location)!,
                licenses: $0
            )
        }
        let callee = number(example.callee)
        let facts = CallFacts(
            callType: example.type,
            user: user,
            caller: number("+12065550111"),
            callee: callee,
            rate: Self.deck.rate(for: callee, on: day("2026-06-01")),
            tenantCountry: CountryCode("US")!
        )
        let route = CallRoute.of(facts)
        #expect(route.pools.map { "\($0.key)×\($0.unitsPerSecond)" } == example.pools)
        #expect(route.fallback == example.fallback)
    }

    @Test("Pools are sized by the licenses held: minutes per user, by country and plan")
    func poolSizes() {
        let us = CountryCode("US")!
        let gb = CountryCode("GB")!
        #expect(PoolKey(capability: .domesticCallingPlan, country: us).capacity(users: 2) == 2 * 3000 * 60)
        #expect(PoolKey(capability: .domesticCallingPlan, country: gb).capacity(users: 2) == 2 * 1200 * 60)
        #expect(PoolKey(capability: .domesticAndInternationalCallingPlan, country: us).capacity(users: 1) == 3000 * 60)
        #expect(PoolKey(capability: .domesticCallingPlan120, country: gb).capacity(users: 3) == 3 * 120 * 60)
        #expect(PoolKey(capability: .domesticCallingPlan240, country: gb).capacity(users: 1) == 240 * 60)
        #expect(PoolKey.conferencing.capacity(users: 5) == 5 * 60 * 60)
        #expect(PoolKey.conferencing.sizingLicenses == [.audioConferencing, .enterpriseE5])
        #expect(PoolKey(stored: "MCOPSTN2/GB") == PoolKey(capability: .domesticAndInternationalCallingPlan, country: gb))
    }
}
