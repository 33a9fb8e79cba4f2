public import CreditsCore
public import CreditsStore

/// Contoso, a tenant to explore: administrators and licensed users, a Visa card on file with
/// auto-recharge on, funds bought over the past 14 months (one lot already expired, one about
/// to), 90 days of calls charged to them, and a call in progress.
public enum DemoOrganization {
    public static let tenantId = TenantId("contoso")
    public static let currency = Currency.usd

    /// Loads the demo into stores that have no accounts yet; returns false, changing nothing,
    /// when they already hold data.
    @discardableResult
    public static func load(into stores: Stores, at now: Instant) async throws -> Bool {
        let store = stores.ledger
        guard try await store.tenantIds().isEmpty else { return false }
        let opened = now.adding(months: -14)
        try await stores.directory.createTenant(Tenant(
            id: tenantId, name: "Contoso Ltd", country: CountryCode("US")!, currency: currency,
            billingAccount: BillingAccount(channel: .webDirect, commerceModel: .classic, agreements: []), createdAt: opened))
        try await store.openAccount(tenantId, currency: currency, at: opened)
        try await stores.directory.addUsers(users.enumerated().map { NumberedLine(line: $0.offset + 1, value: $0.element) },
                                            to: tenantId, creditsLicenseAvailable: true)
        try await stores.billing.savePaymentMethod(.card(.init(token: "tok_visa", brand: "Visa", lastFour: "4242", expiryMonth: 12, expiryYear: 2034)),
                                                   for: tenantId, at: opened)
        try await stores.billing.saveAutoRecharge(AutoRechargeSettings(unchecked: true, rechargeAmountMinor: 100_00, triggerAmountMinor: 20_00),
                                                  for: tenantId, at: opened)
        var activity = DemoActivity(store: store, now: now)
        try await activity.buy(.purchase, 200_00, at: opened)
        try await activity.callsDaily(from: opened.adding(days: 1), days: 40, averageMinor: 90)
        try await activity.buy(.purchase, 500_00, at: now.adding(months: -12).adding(days: 20))
        try await activity.buy(.recharge, 100_00, at: now.adding(months: -4))
        try await activity.buy(.recharge, 100_00, at: now.adding(days: -20))
        try await activity.callsDaily(from: now.adding(days: -90), days: 90, averageMinor: 150)
        try await activity.callInProgress(at: now)
        return true
    }
}

extension DemoOrganization {
    static var users: [User] {
        func user(_ name: String, _ display: String, _ location: String, _ roles: Set<Role>, _ licenses: Set<LicenseSku>) -> User {
            try! User(upn: UserPrincipalName("\(name)@contoso.com"), displayName: display, usageLocation: CountryCode(location)!,
                      roles: roles, licenses: licenses)
        }
        return [
            user("megan", "Megan Bowen", "US", [.globalAdministrator], [.enterpriseE5, .communicationsCredits]),
            user("alex", "Alex Wilber", "US", [.billingAdministrator], [.phoneSystem, .domesticCallingPlan, .communicationsCredits]),
            user("adele", "Adele Vance", "GB", [.teamsCommunicationsAdministrator], [.phoneSystem, .domesticAndInternationalCallingPlan]),
            user("lee", "Lee Gu", "CA", [], [.audioConferencing, .communicationsCredits]),
            user("nestor", "Nestor Wilke", "US", [], [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits]),
        ]
    }
}

/// Writes the demo's history through the ledger, in time order, with a fixed seed so that
/// every demo looks alike.
private struct DemoActivity {
    let store: any LedgerStore
    let now: Instant
    var seed: UInt64 = 0x00C0_FFEE
    var sequence = 0

    mutating func buy(_ source: Lot.Source, _ amountMinor: Int64, at instant: Instant) async throws {
        try await run(.addFunds(source: source, amountMinor: amountMinor), at: instant)
    }

    /// A few calls a day, each reserved, then posted for what it cost.
    mutating func callsDaily(from start: Instant, days: Int64, averageMinor: Int64) async throws {
        for day in 0..<days {
            for call in 0..<Int64(2 + nextRandom(4)) {
                let startAt = start.adding(days: day).adding(seconds: 8 * 3600 + call * 5400 + Int64(nextRandom(3000)))
                guard startAt < now else { return }
                let holdId = HoldId("demo-call-\(sequence)")
                let costMinor = 1 + Int64(nextRandom(UInt64(averageMinor)))
                try await run(.reserve(holdId: holdId, amountMinor: costMinor * 2, expiresAt: startAt.adding(seconds: 1200)), at: startAt)
                try await run(.postHold(holdId: holdId, amountMinor: costMinor), at: startAt.adding(seconds: 300))
            }
        }
    }

    mutating func callInProgress(at instant: Instant) async throws {
        try await run(.reserve(holdId: HoldId("demo-call-in-progress"), amountMinor: 3_00, expiresAt: instant.adding(seconds: 600)),
                      at: instant.adding(seconds: -30))
    }

    /// Refusals (a call the balance could not cover) are part of a living history: kept quiet.
    private mutating func run(_ command: LedgerCommand, at instant: Instant) async throws {
        sequence += 1
        _ = try await store.execute([LedgerRequest(key: IdempotencyKey("demo-\(sequence)"), command: command)],
                                    for: DemoOrganization.tenantId, at: instant)
    }

    private mutating func nextRandom(_ bound: UInt64) -> UInt64 {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (seed >> 33) % max(bound, 1)
    }
}
