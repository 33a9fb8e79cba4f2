import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

@Suite("Usage records and post-usage billing")
struct UsageRecordTests {
    func funded(_ amountMinor: Int64 = 10_00, commerceModel: CommerceModel = .classic) async throws -> Calls {
        let calls = try await Calls()
        try await calls.billing.buy(amountMinor)
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        return calls
    }

    @Test("A record names the administrative units its user was in when the call started, across a restart; an upload's own units stand")
    func administrativeUnits() async throws {
        let calls = try await funded()
        let nestor = try UserPrincipalName("nestor@fabrikam.com")
        let units: Set = [try AdministrativeUnit("Support"), try AdministrativeUnit("Americas")]
        _ = try await calls.billing.directoryService.setAdministrativeUnits(units, of: nestor, in: calls.tenant)
        #expect(try await calls.start("c1", by: "nestor", to: "+12065550100").allowed)
        // Moved to another unit mid-call, and the service restarted: the call counts where it started.
        _ = try await calls.billing.directoryService.setAdministrativeUnits([try AdministrativeUnit("Sales")], of: nestor, in: calls.tenant)
        let restarted = Calls.over(try await calls.billing.restarted())
        _ = try await restarted.end("c1", number: 2, duration: 60)
        _ = try await calls.billing.stores.calls.recordUsage(
            [
                try calls.upload("u1", by: "nestor", to: "+12065550100", duration: 60),
                UsageUpload(
                    usageId: try CallSessionId("u2"),
                    callId: nil,
                    conferenceId: nil,
                    callType: .userOut,
                    upn: nestor,
                    caller: try PhoneNumber("+12065550111"),
                    callee: try PhoneNumber("+12065550100"),
                    startTime: calls.clock.now(),
                    durationSeconds: 60,
                    messageUnits: 0,
                    userObjectId: nil,
                    administrativeUnits: "Field team"
                ),
            ],
            rates: try await calls.billing.stores.calls.rateBook(),
            settings: CallDesk.Settings(),
            for: calls.tenant,
            at: calls.clock.now()
        )
        let byId = Dictionary(uniqueKeysWithValues: try await calls.records().map { ($0.usageId, $0.administrativeUnits) })
        #expect(byId["c1"] == "Americas; Support" && byId["u1"] == "Sales" && byId["u2"] == "Field team")
    }

    @Test("A batch is charged once per usage id: repeats are duplicates, other content under a used id and bad records are refused alone")
    func batch() async throws {
        let calls = try await funded()
        let first = try [
            calls.upload("u1", by: "nestor", to: "+12065550100", duration: 61),
            calls.upload("u2", by: "nestor", to: "+447700900123", duration: 60),
            calls.upload("u3", .smsOut, by: "nestor", to: "+447700900123", duration: 0, units: 3),
            calls.upload("u4", by: "nobody", to: "+12065550100", duration: 60),
            calls.upload("u5", by: "nestor", to: "+33612345678", duration: 60),
            calls.upload("u1", by: "nestor", to: "+12065550100", duration: 61),
        ]
        let results = try await calls.service.record(first, for: calls.tenant)
        #expect(results.map(Self.status) == ["charged 2", "charged 5", "charged 15", "refused unknownUser", "charged 0", "duplicate 2"])
        #expect(try await calls.records().first { $0.usageId == "u5" }?.capability == .freeCall, "no rate: recorded, not priced")
        #expect(try await calls.billing.balance().balanceMinor == 10_00 - 22)
        let again = try await calls.service.record(
            [
                calls.upload("u1", by: "nestor", to: "+12065550100", duration: 61),
                calls.upload("u2", by: "nestor", to: "+447700900123", duration: 999),
            ],
            for: calls.tenant
        )
        #expect(again.map(Self.status) == ["duplicate 2", "refused usageConflict"])
        #expect(try await calls.billing.balance().balanceMinor == 10_00 - 22, "nothing charged twice")
        try await calls.expectConserved()
    }

    @Test("A record of a user without the credits license or a calling plan is charged and marked unlicensed; the administrators are told once a day")
    func unlicensedUse() async throws {
        let calls = try await funded()
        try await calls.user("plain", [.phoneSystem, .payAsYouGoCallingPlan])
        try await calls.user("noplan", [])
        let results = try await calls.service.record(
            [
                calls.upload("n1", by: "plain", to: "+12065550100", duration: 60),
                calls.upload("n2", by: "noplan", to: "+12065550100", duration: 60),
                calls.upload("n3", by: "nestor", to: "+12065550100", duration: 60),
            ],
            for: calls.tenant
        )
        #expect(results.map(Self.status) == ["charged 1", "charged 1", "charged 1"])
        let records = Dictionary(uniqueKeysWithValues: try await calls.records().map { ($0.usageId, $0) })
        #expect(records["n1"]?.unlicensedUse == true && records["n2"]?.unlicensedUse == true && records["n3"]?.unlicensedUse == false)
        #expect(records["n1"]?.capability == .communicationsCredits, "the credits paid")
        _ = try await calls.service.record([calls.upload("n4", by: "plain", to: "+12065550100", duration: 60)], for: calls.tenant)
        calls.clock.advance(seconds: 86_400)
        _ = try await calls.service.record([calls.upload("n5", by: "plain", to: "+12065550100", duration: 60)], for: calls.tenant)
        let told = try await calls.billing.stores.notifications.notifications(for: calls.tenant, before: nil, limit: 100)
            .compactMap { if case let .unlicensedUse(_, usageId) = $0.notification.event { usageId } else { nil } }
        #expect(told.sorted() == ["n1", "n5"], "once on each day, naming its first record")
        #expect(try await calls.billing.balance().balanceMinor == 10_00 - 5)
        try await calls.expectConserved()
    }

    @Test("A late record may take the balance into debt; more than 8,190 in one batch is refused whole")
    func debtAndBatchLimit() async throws {
        let calls = try await funded(1_00)
        let results = try await calls.service.record([calls.upload("long", by: "nestor", to: "+447700900123", duration: 3_600)], for: calls.tenant)
        #expect(results.map(Self.status) == ["charged 300"])
        #expect(try await calls.billing.balance().debtMinor == 2_00)
        let tooMany = try (0...LedgerLimits.maximumBatchSize).map { try calls.upload("b\($0)", by: "nestor", to: "+12065550100", duration: 1) }
        await expectRefusal(.batchTooLarge) { try await calls.service.record(tooMany, for: calls.tenant) }
        #expect(try await calls.records().count == 1)
    }

    @Test("A call charged in real time and uploaded too counts once, in either order")
    func realTimeAndUploadMeet() async throws {
        let calls = try await funded()
        _ = try await calls.start("rt", by: "nestor", to: "+12065550100")
        _ = try await calls.end("rt", number: 2, duration: 60)
        #expect(
            try await calls.service.record([calls.upload("rt", by: "nestor", to: "+12065550100", duration: 60)], for: calls.tenant)
                .map(Self.status) == ["duplicate 1"]
        )
        // Uploaded first, then ended: the uploaded record stands and the hold is released.
        _ = try await calls.start("up", by: "nestor", to: "+447700900123")
        _ = try await calls.service.record([calls.upload("up", by: "nestor", to: "+447700900123", duration: 120)], for: calls.tenant)
        let end = try await calls.end("up", number: 2, duration: 120)
        #expect(end.chargeMinor == 10)
        let figures = try await calls.billing.balance()
        #expect(figures.heldMinor == 0 && figures.balanceMinor == 10_00 - 11)
        #expect(try await calls.records().count == 2)
        try await calls.expectConserved()
    }

    @Test("An NCE tenant spends its credits first, stays prepaid while auto-recharge is on, then accrues post-usage charges invoiced once a month")
    func postUsage() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(1_00, autoRecharge: calls.billing.autoRecharge(10_00, below: 1_00))
        try await calls.user("nestor", [.phoneSystem, .payAsYouGoCallingPlan, .communicationsCredits])
        _ = try await calls.billing.directoryService.updateTenant(calls.tenant, commerceModel: .nce)
        // Auto-recharge still on: a call is paid by credits and the balance refills.
        #expect(try await calls.start("a", by: "nestor", to: "+447700900123").capability == .communicationsCredits)
        _ = try await calls.end("a", number: 2, duration: 60)
        #expect(try await calls.billing.service.runPendingRecharges().map(\.state) == [.succeeded])
        #expect(try await calls.billing.balance().balanceMinor == 10_95)
        // Auto-recharge off: the rest of the balance is spent first, going a little into debt...
        try await calls.billing.service.setAutoRecharge(.off, for: calls.tenant)
        _ = try await calls.service.record([calls.upload("b", by: "nestor", to: "+447700900123", duration: 13_200)], for: calls.tenant)
        #expect(try await calls.billing.balance().balanceMinor == -5)
        // ...then post-usage: no hold, the quota granted, the charge accrued.
        let post = try await calls.start("c", by: "nestor", to: "+447700900123")
        #expect(post.capability == .postUsage && post.grantedSeconds == 600)
        #expect(try await calls.billing.balance().heldMinor == 0)
        #expect(try await calls.end("c", number: 2, duration: 120).chargeMinor == 10)
        _ = try await calls.service.record([calls.upload("d", .smsOut, by: "nestor", to: "+12065550100", duration: 0, units: 2)], for: calls.tenant)
        #expect(try await calls.billing.balance().balanceMinor == -5, "post-usage charges do not touch the credits")
        #expect(try await calls.billing.stores.calls.issuePostUsageInvoices(at: calls.clock.now()).isEmpty, "the month has not ended")
        calls.clock.advance(to: ISO8601.parse("2027-04-01T00:00:00Z")!)
        let invoices = try await calls.billing.stores.calls.issuePostUsageInvoices(at: calls.clock.now())
        #expect(invoices.map { "\($0.month) \($0.amountMinor) \($0.records)" } == ["2027-03 12 2"])
        #expect(try await calls.billing.stores.calls.issuePostUsageInvoices(at: calls.clock.now()).isEmpty, "issued once")
        #expect(try await calls.billing.stores.calls.postUsageInvoices(for: calls.tenant).map(\.number) == ["PU-2027-000001"])
    }

    static func status(_ result: UsageResult) -> String {
        switch result {
        case let .charged(record): "charged \(record.chargeMinor)"
        case let .duplicate(record): "duplicate \(record.chargeMinor)"
        case let .refused(error): "refused \(error.code)"
        }
    }
}
