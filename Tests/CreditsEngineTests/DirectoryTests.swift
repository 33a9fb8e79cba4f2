import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

@Suite("Tenants, users and licenses")
struct DirectoryTests {
    func user(_ upn: String, _ licenses: Set<LicenseSku> = [], roles: Set<Role> = []) throws -> User {
        try User(upn: UserPrincipalName(upn), displayName: upn, usageLocation: CountryCode("US")!, roles: roles, licenses: licenses)
    }

    func change(_ upn: String, add: Set<LicenseSku> = [], remove: Set<LicenseSku> = [], line: Int = 1) throws -> NumberedLine<UserLicenseChange> {
        NumberedLine(line: line, value: UserLicenseChange(upn: try UserPrincipalName(upn), change: LicenseChange(add: add, remove: remove)))
    }

    @Test("A user's administrative units are kept, replaced and read back after a restart; an unknown user is refused")
    func administrativeUnits() async throws {
        let billing = try await Billing()
        let directory = billing.directoryService
        var ada = try user("ada@fabrikam.com")
        ada.administrativeUnits = [try AdministrativeUnit("Sales"), try AdministrativeUnit("EMEA")]
        try await directory.addUser(ada, to: billing.tenant)
        #expect(try await directory.user(ada.upn, in: billing.tenant).administrativeUnits == ada.administrativeUnits)
        let moved = try await directory.setAdministrativeUnits([try AdministrativeUnit("Support")], of: ada.upn, in: billing.tenant)
        #expect(moved.administrativeUnits.map(\.rawValue) == ["Support"] && moved.licenses == ada.licenses)
        let restarted = try await billing.restarted()
        #expect(try await restarted.directoryService.user(ada.upn, in: billing.tenant).administrativeUnits.map(\.rawValue) == ["Support"])
        await expectRefusal(.unknownUser) {
            try await directory.setAdministrativeUnits([], of: UserPrincipalName("nobody@fabrikam.com"), in: billing.tenant)
        }
    }

    @Test("A tenant id is taken once; a Volume Licensing tenant needs agreements, others have none")
    func tenants() async throws {
        let billing = try await Billing()
        let directory = billing.directoryService
        let account = try BillingAccount(channel: .webDirect, commerceModel: .classic, agreements: [])
        await expectRefusal(.tenantExists) {
            try await directory.createTenant(
                Tenant(
                    id: billing.tenant,
                    name: "Again",
                    country: CountryCode("US")!,
                    currency: .eur,
                    billingAccount: account,
                    createdAt: billing.clock.now()
                )
            )
        }
        #expect(try await directory.tenant(billing.tenant).currency == .usd)
        #expect(throws: Refusal.self) { try BillingAccount(channel: .volumeLicensing, commerceModel: .classic, agreements: []) }
        #expect(throws: Refusal.self) {
            try BillingAccount(
                channel: .csp,
                commerceModel: .classic,
                agreements: [EnterpriseAgreement(number: "1", billingCountry: CountryCode("US")!)]
            )
        }
        #expect(throws: Refusal.self) { try Tenant.checkId(TenantId("has space")) }
        #expect(CountryCode("XX") == nil)
        #expect(CountryCode("gb")?.rawValue == "GB")
        let moved = try await directory.updateTenant(billing.tenant, commerceModel: .mca)
        #expect(moved.billingAccount.commerceModel == .mca)
        #expect(try await directory.tenant(billing.tenant).billingAccount.commerceModel == .mca)
        await expectRefusal(.unknownTenant) { try await directory.updateTenant(TenantId("nobody"), commerceModel: .nce) }
    }

    @Test("Communications Credits needs a prerequisite, and is there to assign only once the tenant has funded its credits")
    func creditsLicense() async throws {
        let billing = try await Billing()
        let directory = billing.directoryService
        try await directory.addUser(user("ada@fabrikam.com", [.phoneSystem]), to: billing.tenant)
        let ada = try UserPrincipalName("ada@fabrikam.com")
        await expectRefusal(.licenseNotAvailable) {
            try await directory.changeLicenses(of: ada, in: billing.tenant, LicenseChange(add: [.communicationsCredits, .domesticCallingPlan]))
        }
        try await billing.buy(10_00)
        let refusal = await expectRefusal(.licensePrerequisiteMissing) {
            try await directory.changeLicenses(of: ada, in: billing.tenant, LicenseChange(add: [.communicationsCredits]))
        }
        #expect(refusal?.remedy?.contains("calling plan") == true)
        #expect(try await directory.user(ada, in: billing.tenant).licenses == [.phoneSystem])
        let changed = try await directory.changeLicenses(
            of: ada,
            in: billing.tenant,
            LicenseChange(add: [.communicationsCredits, .domesticCallingPlan])
        )
        #expect(changed.licenses == [.phoneSystem, .domesticCallingPlan, .communicationsCredits])
        await expectRefusal(.licensePrerequisiteMissing) {
            try await directory.changeLicenses(of: ada, in: billing.tenant, LicenseChange(remove: [.domesticCallingPlan]))
        }
        let removed = try await directory.changeLicenses(
            of: ada,
            in: billing.tenant,
            LicenseChange(remove: [.domesticCallingPlan, .communicationsCredits])
        )
        #expect(removed.licenses == [.phoneSystem])
        await expectRefusal(.unknownUser) {
            try await directory.changeLicenses(of: UserPrincipalName("nobody@fabrikam.com"), in: billing.tenant, LicenseChange(add: [.phoneSystem]))
        }
    }

    @Test("Each prerequisite alone is enough: Audio Conferencing, E5, or Phone System with any calling plan")
    func prerequisites() {
        for licenses: Set<LicenseSku> in [
            [.audioConferencing], [.enterpriseE5], [.phoneSystem, .payAsYouGoCallingPlan],
            [.phoneSystem, .domesticAndInternationalCallingPlan], [.enterpriseE5, .domesticCallingPlan120],
        ] {
            #expect((try? LicenseRules.apply(LicenseChange(add: [.communicationsCredits]), to: licenses, creditsLicenseAvailable: true).get()) != nil)
        }
        for licenses: Set<LicenseSku> in [[], [.phoneSystem], [.domesticCallingPlan], [.audioConferencingPayPerMinute]] {
            #expect((try? LicenseRules.apply(LicenseChange(add: [.communicationsCredits]), to: licenses, creditsLicenseAvailable: true).get()) == nil)
        }
        #expect(
            (try? LicenseRules.apply(LicenseChange(add: [.phoneSystem], remove: [.phoneSystem]), to: [], creditsLicenseAvailable: true).get()) == nil
        )
    }

    @Test("A bulk change names every bad line and changes nothing; a good one changes every user")
    func bulkAllOrNothing() async throws {
        let billing = try await Billing()
        try await billing.buy(10_00)
        let directory = billing.directoryService
        try await directory.addUsers(
            [
                NumberedLine(line: 2, value: user("a@f.com", [.audioConferencing])),
                NumberedLine(line: 3, value: user("b@f.com", [.phoneSystem])),
                NumberedLine(line: 4, value: user("c@f.com", [.enterpriseE5])),
            ],
            to: billing.tenant
        )
        do {
            _ = try await directory.changeLicenses(
                [
                    change("a@f.com", add: [.communicationsCredits], line: 2),
                    change("b@f.com", add: [.communicationsCredits], line: 3),
                    change("x@f.com", add: [.communicationsCredits], line: 4),
                ],
                in: billing.tenant
            )
            Issue.record("expected refused lines")
        } catch let refused as RefusedLines {
            #expect(refused.lines.map(\.line) == [3, 4])
            #expect(refused.lines.map(\.error.code) == [.licensePrerequisiteMissing, .unknownUser])
        }
        #expect(try await directory.user(UserPrincipalName("a@f.com"), in: billing.tenant).licenses == [.audioConferencing])
        let changed = try await directory.changeLicenses(
            [
                change("a@f.com", add: [.communicationsCredits]),
                change("c@f.com", add: [.communicationsCredits]),
            ],
            in: billing.tenant
        )
        #expect(changed.count == 2)
        #expect(try await directory.user(UserPrincipalName("c@f.com"), in: billing.tenant).licenses == [.enterpriseE5, .communicationsCredits])
    }

    @Test("Importing users refuses a sign-in name already taken, and imports nothing of that file")
    func importUsers() async throws {
        let billing = try await Billing()
        let directory = billing.directoryService
        try await directory.addUser(user("a@f.com"), to: billing.tenant)
        do {
            try await directory.addUsers(
                [NumberedLine(line: 2, value: user("new@f.com")), NumberedLine(line: 3, value: user("A@F.com"))],
                to: billing.tenant
            )
            Issue.record("expected refused lines")
        } catch let refused as RefusedLines {
            #expect(refused.lines.map(\.line) == [3])
            #expect(refused.lines.first?.error.code == .userExists)
        }
        #expect(try await billing.stores.directory.users(in: billing.tenant, after: nil, limit: 10).map(\.upn.rawValue) == ["a@f.com"])
    }
}
