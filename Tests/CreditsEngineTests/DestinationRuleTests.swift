import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

@Suite("Destination rules on the call path")
struct DestinationRuleTests {
    /// $10 of credits; Nestor on Pay-As-You-Go, Dana with a domestic calling plan, both with the credits license.
    func funded() async throws -> (Calls, CallControlService) {
        let calls = try await Calls()
        try await calls.billing.buy(10_00)
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        try await calls.user("dana", [.phoneSystem, .domesticCallingPlan, .communicationsCredits])
        return (calls, CallControlService(stores: calls.billing.stores, clock: calls.clock))
    }

    func rules(_ types: Set<NumberType> = [], _ mode: DestinationRules.Mode = .blockListed, _ destinations: [String] = []) throws -> DestinationRules
    {
        try DestinationRules(blockedNumberTypes: types, mode: mode, destinations: destinations.map { try CallDestination($0) })
    }

    @Test("A blocked number type, country or prefix refuses the call, names the rule and holds nothing; the rest goes on")
    func blockList() async throws {
        let (calls, controls) = try await funded()
        // Judged once with no rules, so that the tenant's state is kept: the change must reach it.
        #expect(try await calls.start("before", by: "nestor", to: "+449012345678").allowed)
        _ = try await calls.end("before", number: 2, duration: 0)
        let heldBefore = try await calls.billing.balance()
        try await controls.setDestinationRules(rules([.premium], .blockListed, ["DE", "+4479"]), of: calls.tenant, by: "amy@fabrikam.com")

        let premium = try await calls.start("p", by: "nestor", to: "+449012345678")
        #expect(!premium.allowed && premium.reason == .destinationBlocked && premium.refusedBy == .numberType(.premium))
        #expect(premium.refusalDetail == "Calls to premium numbers are blocked by the destination rules.")
        let germany = try await calls.start("d", by: "nestor", to: "+4930123456")
        #expect(germany.refusedBy == .destination(.country(CountryCode("DE")!)))
        let prefix = try await calls.start("m", by: "nestor", to: "+447912345678")
        #expect(prefix.refusedBy?.description == "destination:+4479" && prefix.grantedSeconds == 0)
        #expect(try await calls.billing.balance() == heldBefore, "a refused call holds nothing")
        #expect(try await calls.start("p", by: "nestor", to: "+449012345678") == premium, "a repeat gets the kept answer, rule and all")
        let today = calls.clock.now().civilDateAndTime.date
        let refused = try await calls.billing.stores.calls.refusedCalls(for: calls.tenant, from: today, to: today)
        #expect(refused == [RefusedCalls(day: today, reason: .destinationBlocked, calls: 3)], "three refusals, the repeat not counted again")

        #expect(try await calls.start("uk", by: "nestor", to: "+442071234567").allowed, "another UK number is not blocked")
        #expect(try await calls.start("e", .emergencyOut, by: "nestor", to: "+4930123456").allowed, "emergency calls are always allowed")
        #expect(try await calls.start("in", .userIn, by: "nestor", to: "+12065550111", from: "+4930123456").allowed, "incoming calls are not judged")
    }

    @Test("An allow list lets through only what it names; a pool-paid call is judged as well")
    func allowList() async throws {
        let (calls, controls) = try await funded()
        try await controls.setDestinationRules(rules([], .allowListedOnly, ["GB"]), of: calls.tenant, by: "amy@fabrikam.com")
        let domestic = try await calls.start("us", by: "dana", to: "+12065550100")
        #expect(domestic.reason == .destinationBlocked && domestic.refusedBy == .notOnAllowList, "even a call the calling plan pays for")
        #expect(try await calls.start("gb", by: "nestor", to: "+442071234567").allowed)
        try await controls.setDestinationRules(rules([], .allowListedOnly, ["GB", "+1206"]), of: calls.tenant, by: "amy@fabrikam.com")
        let plan = try await calls.start("us2", by: "dana", to: "+12065550100")
        #expect(plan.allowed && plan.capability == .domesticCallingPlan)
        #expect(try await calls.start("us3", by: "dana", to: "+13125550100").refusedBy == .notOnAllowList)
    }

    @Test("A user's own rules apply as well as the tenant's, to that user alone; taking them away frees the user again")
    func userRules() async throws {
        let (calls, controls) = try await funded()
        let nestor = try UserPrincipalName("nestor@fabrikam.com")
        try await controls.setDestinationRules(rules([], .blockListed, ["GB"]), of: calls.tenant, user: nestor, by: "amy@fabrikam.com")
        #expect(try await calls.start("n1", by: "nestor", to: "+442071234567").refusedBy == .destination(.country(CountryCode("GB")!)))
        #expect(try await calls.start("d1", by: "dana", to: "+442071234567").allowed)
        try await controls.setDestinationRules(nil, of: calls.tenant, user: nestor, by: "amy@fabrikam.com")
        #expect(try await calls.start("n2", by: "nestor", to: "+442071234567").allowed)
        await expectRefusal(.unknownUser) {
            try await controls.setDestinationRules(rules([.premium]), of: calls.tenant, user: UserPrincipalName("nobody@fabrikam.com"), by: "amy")
        }
        await expectRefusal(.unknownTenant) { try await controls.setDestinationRules(rules([.premium]), of: TenantId("contoso"), by: "amy") }
    }

    @Test("Every change is in the audit trail, newest first, with who and what; a change that changes nothing writes no line")
    func auditTrail() async throws {
        let (calls, controls) = try await funded()
        try await controls.setDestinationRules(rules([.premium, .sharedCost]), of: calls.tenant, by: "amy@fabrikam.com")
        calls.clock.advance(seconds: 60)
        try await controls.setDestinationRules(rules([.premium, .sharedCost]), of: calls.tenant, by: "amy@fabrikam.com")
        try await controls.setDestinationRules(
            rules([], .allowListedOnly, ["US", "+44"]),
            of: calls.tenant,
            user: UserPrincipalName("dana@fabrikam.com"),
            by: "token tk_1"
        )
        let changes = try await controls.changes(of: calls.tenant, limit: 10)
        #expect(changes.count == 2)
        #expect(changes[0].change.subject == "Destination rules of dana@fabrikam.com" && changes[0].change.actor == "token tk_1")
        #expect(changes[0].change.before == "blocks nothing" && changes[0].change.after == "allows only US, +44")
        #expect(changes[1].change.after == "blocks premium, sharedCost" && changes[1].change.at < changes[0].change.at)
        #expect(try await controls.changes(of: calls.tenant, before: changes[0].id, limit: 10).map(\.id) == [changes[1].id])
    }

    @Test("Bad rules are refused with the field they got wrong")
    func refusals() throws {
        #expect(throws: Refusal.self) { try CallDestination("Cuba") }
        #expect(throws: Refusal.self) { try CallDestination("+0882") }
        #expect(throws: Refusal.self) { try CallDestination("+") }
        #expect(throws: Refusal.self) { try DestinationRules(blockedNumberTypes: [], mode: .allowListedOnly, destinations: []) }
        let tooMany = (0...DestinationRules.maximumDestinations).map { try! CallDestination("+\(1000 + $0)") }
        #expect(throws: Refusal.self) { try DestinationRules(blockedNumberTypes: [], mode: .blockListed, destinations: tooMany) }
        let repeated = try DestinationRules(blockedNumberTypes: [], mode: .blockListed, destinations: [CallDestination("cu"), CallDestination("CU")])
        #expect(repeated.destinations.map(\.description) == ["CU"], "written either case, listed once")
        #expect(DestinationRule("destination:+882") == .destination(.prefix(try DialPrefix("882"))) && DestinationRule("other") == nil)
    }
}
