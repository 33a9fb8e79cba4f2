public import CreditsCore
public import CreditsEngine
public import CreditsStore

/// Contoso, a tenant to explore: administrators and licensed users, a Visa card on file with
/// auto-recharge on, five purchases over the past 14 months with their invoices (one lot already
/// expired, one about to), the sample rate deck, 90 days of calls of every kind priced and charged through the
/// call store, and a call in progress. Its three administrators (Global, Billing, Teams
/// Communications) sign in with `password`.
public enum DemoOrganization {
    public static let tenantId = TenantId("contoso")
    public static let currency = Currency.usd
    public static let password = "contoso-demo-password"

    /// Loads the demo into stores that have no accounts yet; returns false, changing nothing,
    /// when they already hold data.
    @discardableResult
    public static func load(into stores: Stores, access: AccessService, at now: Instant) async throws -> Bool {
        let store = stores.ledger
        guard try await store.tenantIds().isEmpty else { return false }
        let opened = now.adding(months: -14)
        try await stores.directory.createTenant(
            Tenant(
                id: tenantId,
                name: "Contoso Ltd",
                country: CountryCode("US")!,
                currency: currency,
                billingAccount: BillingAccount(channel: .webDirect, commerceModel: .classic, agreements: []),
                createdAt: opened
            )
        )
        try await store.openAccount(tenantId, currency: currency, at: opened)
        try await stores.directory.addUsers(
            users.enumerated().map { NumberedLine(line: $0.offset + 1, value: $0.element) },
            to: tenantId,
            creditsLicenseAvailable: true
        )
        try await stores.directory.assign(numbers.enumerated().map { NumberedLine(line: $0.offset + 1, value: $0.element) }, in: tenantId)
        for administrator in users where !administrator.roles.isEmpty {
            try await access.setPassword(password, for: administrator.upn, in: tenantId)
        }
        try await stores.billing.savePaymentMethod(
            .card(.init(token: "tok_visa", brand: "Visa", lastFour: "4242", expiryMonth: 12, expiryYear: 2034)),
            for: tenantId,
            at: opened
        )
        try await stores.billing.saveAutoRecharge(
            AutoRechargeSettings(unchecked: true, rechargeAmountMinor: 100_00, triggerAmountMinor: 20_00),
            for: tenantId,
            at: opened
        )
        if try await stores.calls.rateBook().deck(for: currency) == nil {
            _ = try await stores.calls.saveRates(SampleRateDeck.rates, currency: currency)
        }
        var activity = DemoActivity(stores: stores, rates: try await stores.calls.rateBook(), now: now)
        try await activity.buy(200_00, at: opened)
        try await activity.callsDaily(from: opened.adding(days: 1), days: 40)
        try await activity.buy(500_00, at: now.adding(months: -12).adding(days: 20))
        try await activity.buy(250_00, at: now.adding(months: -7))
        try await activity.buy(100_00, at: now.adding(months: -4))
        try await activity.buy(100_00, at: now.adding(days: -20))
        try await activity.callsDaily(from: now.adding(days: -90), days: 90)
        try await activity.callInProgress(at: now)
        return true
    }
}

extension DemoOrganization {
    static var users: [User] {
        func user(
            _ name: String,
            _ display: String,
            _ location: String,
            _ roles: Set<Role>,
            _ licenses: Set<LicenseSku>,
            units: [String]
        ) -> User {
            try! User(
                upn: UserPrincipalName("\(name)@contoso.com"),
                displayName: display,
                usageLocation: CountryCode(location)!,
                roles: roles,
                licenses: licenses,
                administrativeUnits: AdministrativeUnit.parseList(units)
            )
        }
        return [
            user("megan", "Megan Bowen", "US", [.globalAdministrator], [.enterpriseE5, .communicationsCredits], units: ["Headquarters"]),
            user(
                "alex",
                "Alex Wilber",
                "US",
                [.billingAdministrator],
                [.phoneSystem, .domesticCallingPlan, .communicationsCredits],
                units: ["Sales", "Americas"]
            ),
            user(
                "adele",
                "Adele Vance",
                "GB",
                [.teamsCommunicationsAdministrator],
                [.phoneSystem, .domesticAndInternationalCallingPlan],
                units: ["Sales", "EMEA"]
            ),
            user("lee", "Lee Gu", "CA", [], [.audioConferencing, .communicationsCredits], units: ["Americas"]),
            user(
                "nestor",
                "Nestor Wilke",
                "US",
                [],
                [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits],
                units: ["Support", "Americas"]
            ),
        ]
    }
}

extension DemoOrganization {
    /// Each user's number and SIP address, and the toll-free number of the support line (a
    /// call queue), as the demo's calls use them.
    static var numbers: [NumberAssignment] {
        let held: [(String, String)] = [
            ("megan", "+14255550100"), ("alex", "+14255550101"), ("adele", "+442030000003"),
            ("lee", "+14165550104"), ("nestor", "+14255550105"),
        ]
        let people = held.flatMap { name, number in
            let holder = NumberHolder.user(UserPrincipalName(stored: "\(name)@contoso.com"))
            return [
                NumberAssignment(identity: try! DirectoryIdentity(number), tenantId: tenantId, holder: holder),
                NumberAssignment(identity: try! DirectoryIdentity("sip:\(name)@contoso.com"), tenantId: tenantId, holder: holder),
            ]
        }
        return people + [
            NumberAssignment(identity: try! DirectoryIdentity("+18005550199"), tenantId: tenantId, holder: .resourceAccount("Contoso support line"))
        ]
    }
}

/// Writes the demo's history through the ledger and the call store, in time order, with a
/// fixed seed so that every demo looks alike.
private struct DemoActivity {
    let stores: Stores
    let rates: RateBook
    let now: Instant
    var seed: UInt64 = 0x00C0_FFEE
    var sequence = 0

    /// Who calls whom: a domestic call on a calling plan, international calls on credits and on
    /// MCOPSTN2 units, Pay-As-You-Go, conference dial-out inside and outside Zone A, a toll-free
    /// call into a call queue, and an incoming call.
    static let calls: [(upn: String?, type: CallType, caller: String, callee: String)] = [
        ("alex@contoso.com", .userOut, "+14255550101", "+12065550123"),
        ("alex@contoso.com", .userOut, "+14255550101", "+4930123456"),
        ("nestor@contoso.com", .userOut, "+14255550105", "+13125550147"),
        ("adele@contoso.com", .userOut, "+442030000003", "+442071234567"),
        ("adele@contoso.com", .userOut, "+442030000003", "+33612345678"),
        ("megan@contoso.com", .conferenceOut, "+14255550100", "+447700900123"),
        ("lee@contoso.com", .conferenceOut, "+14165550104", "+919812345678"),
        (nil, .resourceAccountIn, "+14155550100", "+18005550199"),
        ("megan@contoso.com", .userIn, "+12125550188", "+14255550100"),
    ]

    /// Funds bought as the billing service buys them, so that each has its invoice: the payment
    /// itself is taken as made.
    mutating func buy(_ amountMinor: Int64, at instant: Instant) async throws {
        sequence += 1
        let tenantId = DemoOrganization.tenantId
        let purchase = try await stores.billing.beginPurchase(
            NewPurchase(
                tenantId: tenantId,
                idempotencyKey: IdempotencyKey("demo-purchase-\(sequence)"),
                fingerprint: "demo-\(amountMinor)",
                amountMinor: amountMinor,
                paymentMethod: try await stores.billing.settings(for: tenantId).paymentMethod!,
                autoRecharge: nil,
                createdAt: instant
            )
        )
        let receipt = try await stores.ledger.execute(
            LedgerRequest(key: purchase.ledgerKey, command: .addFunds(source: .purchase, amountMinor: amountMinor)),
            for: tenantId,
            at: instant
        )
        _ = try await stores.billing.completePurchase(id: purchase.id, lotId: receipt.lotId!, currency: DemoOrganization.currency, at: instant)
    }

    /// A few calls a day, uploaded as the platform would at the end of each day.
    mutating func callsDaily(from start: Instant, days: Int64) async throws {
        for day in 0..<days {
            var uploads: [UsageUpload] = []
            for call in 0..<Int64(2 + nextRandom(4)) {
                let startAt = start.adding(days: day).adding(seconds: 8 * 3600 + call * 5400 + Int64(nextRandom(3000)))
                guard startAt.adding(seconds: 3600) < now else { break }
                let template = Self.calls[Int(nextRandom(UInt64(Self.calls.count)))]
                sequence += 1
                uploads.append(
                    UsageUpload(
                        usageId: try CallSessionId("demo-call-\(sequence)"),
                        callId: nil,
                        conferenceId: nil,
                        callType: template.type,
                        upn: try template.upn.map { try UserPrincipalName($0) },
                        caller: try PhoneNumber(template.caller),
                        callee: try PhoneNumber(template.callee),
                        startTime: startAt,
                        durationSeconds: 20 + Int64(nextRandom(900)),
                        messageUnits: 0,
                        userObjectId: nil,
                        administrativeUnits: nil
                    )
                )
            }
            guard let last = uploads.last else { continue }
            _ = try await stores.calls.recordUsage(
                uploads,
                rates: rates,
                settings: CallDesk.Settings(),
                for: DemoOrganization.tenantId,
                at: last.startTime.adding(seconds: 3600)
            )
        }
    }

    func callInProgress(at instant: Instant) async throws {
        let start = instant.adding(seconds: -30)
        _ = try await stores.calls.startCall(
            CallStart(
                sessionId: try CallSessionId("demo-call-in-progress"),
                requestNumber: 1,
                callType: .userOut,
                upn: try UserPrincipalName("nestor@contoso.com"),
                caller: try PhoneNumber("+14255550105"),
                callee: try PhoneNumber("+447700900123"),
                startTime: start
            ),
            rates: rates,
            settings: CallDesk.Settings(),
            for: DemoOrganization.tenantId,
            at: start
        )
    }

    private mutating func nextRandom(_ bound: UInt64) -> UInt64 {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (seed >> 33) % max(bound, 1)
    }
}
