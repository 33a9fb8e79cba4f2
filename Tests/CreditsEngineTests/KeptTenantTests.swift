import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

/// The call store keeps each tenant's state in memory between requests; these show that it is
/// never answered from when someone else wrote the tenant meanwhile.
@Suite("A tenant kept in memory")
struct KeptTenantTests {
    @Test("A tenant is read once and kept: the next requests are judged on the state in memory, until another writer moves its version")
    func stateIsKept() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(1_00)
        try await calls.user("pat", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        _ = try await calls.start("a", by: "pat", to: "+12065550100")
        let before = calls.billing.stores.calls.keptTenants
        _ = try await calls.end("a", number: 2, duration: 60)
        _ = try await calls.start("b", by: "pat", to: "+12065550100")
        let kept = calls.billing.stores.calls.keptTenants
        #expect(kept.tenants == 1 && kept.hits == before.hits + 2 && kept.misses == before.misses, "two hits, no load")
        try await calls.billing.restarted().buy(1_00)
        _ = try await calls.end("b", number: 2, duration: 60)
        #expect(calls.billing.stores.calls.keptTenants.misses == kept.misses + 1, "another writer's purchase: loaded again")
        try await calls.expectConserved()
    }

    @Test("Another writer of the same database (the command line, another instance) buys credits and assigns a license; the next call sees both")
    func anotherWriterIsSeen() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(1_00)
        try await calls.user("pat", [.phoneSystem, .payAsYouGoCallingPlan])
        #expect(try await calls.start("a", by: "pat", to: "+12065550100").reason == .creditsLicenseMissing, "kept: no credits license")

        // A second connection pool on the same file, as a separate process has.
        let other = try await calls.billing.restarted()
        _ = try await other.directoryService.changeLicenses(
            of: UserPrincipalName("pat@fabrikam.com"),
            in: calls.tenant,
            LicenseChange(add: [.communicationsCredits])
        )
        let afterLicense = try await calls.start("b", by: "pat", to: "+12065550100")
        #expect(afterLicense.allowed && afterLicense.grantedSeconds == 600, "the license counts")
        #expect(try await calls.start("c", by: "pat", to: "+449000000001").reason == .insufficientBalance, "90 cents buy no premium minute")

        try await other.buy(5_00)
        let afterPurchase = try await calls.start("d", by: "pat", to: "+449000000001")
        #expect(afterPurchase.allowed && afterPurchase.grantedSeconds >= 180, "the purchase counts: 5.90 USD buy three premium minutes")

        // The other writer ends a call the first one started: the first sees it closed.
        _ = try await CallService(stores: other.stores, billing: other.service, clock: calls.clock).end(
            CallSessionId("b"),
            requestNumber: 2,
            durationSeconds: 60,
            endTime: calls.clock.now().adding(seconds: 60),
            for: calls.tenant
        )
        await expectRefusal(.sessionClosed) { try await calls.end("b", number: 3, duration: 60) }
        #expect(try await calls.records().map(\.usageId) == ["b"])
        try await calls.expectConserved()
    }

    @Test("A request refused by the rules leaves the kept state as it was: the next request is judged on the stored one")
    func refusalChangesNothing() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(10_00)
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        _ = try await calls.start("s1", by: "nestor", to: "+12065550100")
        await expectRefusal(.sessionExists) { try await calls.start("s1", by: "nestor", to: "+12065550100", number: 2) }
        await expectRefusal(.requestOutOfOrder) { try await calls.end("s1", number: 0, duration: 60) }
        let restarted = try await Calls.over(calls.billing.restarted())
        let ended = try await restarted.end("s1", number: 2, duration: 60)
        #expect(ended.chargeMinor == 1)
        #expect(try await calls.end("s1", number: 2, duration: 60, elapsed: 0) == ended, "the kept state sees the other writer's end as a repeat")
        try await calls.expectConserved()
    }
}
