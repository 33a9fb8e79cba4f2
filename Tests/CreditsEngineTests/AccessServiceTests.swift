import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

/// Sign-ins leak nothing through their timing: a name without a password costs a bcrypt check
/// of the configured cost, as a real one does.
@Suite("Access")
struct AccessServiceTests {
    @Test func anUnknownNameCostsACheckOfTheConfiguredCost() async throws {
        let billing = try await Billing()
        for cost: UInt8 in [4, 6] {
            var settings = AccessService.Settings()
            settings.passwordCost = cost
            let access = AccessService(stores: billing.stores, clock: billing.clock, settings: settings)
            let dummy = await access.dummyHash()
            #expect(dummy.hasPrefix("$2b$0\(cost)$") || dummy.hasPrefix("$2a$0\(cost)$") || dummy.hasPrefix("$2y$0\(cost)$"), "\(dummy)")
            #expect(await access.dummyHash() == dummy, "made once")
            await #expect(throws: Refusal.self) { try await access.signIn(upn: "nobody@contoso.com", password: "anything at all") }
        }
    }
}
