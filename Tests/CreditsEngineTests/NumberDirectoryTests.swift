import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

/// Numbers and SIP addresses in the directory, and calls started by them.
@Suite("Numbers in the directory")
struct NumberDirectoryTests {
    static let other = TenantId("contoso")

    func line(_ number: String, _ holder: NumberHolder, in tenant: TenantId, line: Int = 1) throws -> NumberedLine<NumberAssignment> {
        NumberedLine(line: line, value: NumberAssignment(identity: try DirectoryIdentity(number), tenantId: tenant, holder: holder))
    }

    /// A second tenant beside the fixture's, with one user.
    func addOtherTenant(_ calls: Calls) async throws {
        let account = try BillingAccount(channel: .webDirect, commerceModel: .classic, agreements: [])
        try await calls.billing.directoryService.createTenant(
            Tenant(
                id: Self.other,
                name: "Contoso",
                country: CountryCode("US")!,
                currency: .usd,
                billingAccount: account,
                createdAt: calls.clock.now()
            )
        )
        try await calls.billing.directoryService.addUser(
            User(
                upn: UserPrincipalName("eve@contoso.com"),
                displayName: "Eve",
                usageLocation: CountryCode("US")!
            ),
            to: Self.other
        )
    }

    @Test("A number is held by one tenant: assigning moves it within the tenant, another tenant is refused, a bulk file is all or nothing")
    func assignments() async throws {
        let calls = try await Calls()
        let directory = calls.billing.directoryService
        try await addOtherTenant(calls)
        let ann = try await calls.user("ann", [])
        let bob = try await calls.user("bob", [])

        _ = try await directory.assign(DirectoryIdentity("+14255550100"), to: .user(ann), in: calls.tenant)
        _ = try await directory.assign(DirectoryIdentity("sip:Ann@Fabrikam.com"), to: .user(ann), in: calls.tenant)
        _ = try await directory.assign(DirectoryIdentity("+14255550100"), to: .user(bob), in: calls.tenant)
        #expect(try await calls.billing.stores.directory.assignment(of: DirectoryIdentity("+14255550100"))?.holder == .user(bob), "moved to Bob")
        #expect(
            try await calls.billing.stores.directory.assignment(of: DirectoryIdentity("sip:ann@fabrikam.com"))?.holder == .user(ann),
            "SIP addresses compare without case"
        )

        await expectRefusal(.numberHeldElsewhere) {
            _ = try await directory.assign(DirectoryIdentity("+14255550100"), to: .user(UserPrincipalName("eve@contoso.com")), in: Self.other)
        }
        await expectRefusal(.unknownUser) {
            _ = try await directory.assign(DirectoryIdentity("+14255550199"), to: .user(UserPrincipalName("nobody@fabrikam.com")), in: calls.tenant)
        }
        let refused = await #expect(throws: RefusedLines.self) {
            try await directory.assign(
                [
                    self.line("+18005550100", .resourceAccount("Support line"), in: Self.other, line: 2),
                    self.line("+14255550100", .resourceAccount("Taken"), in: Self.other, line: 3),
                ],
                in: Self.other
            )
        }
        #expect(refused?.lines.map(\.line) == [3])
        #expect(
            try await calls.billing.stores.directory.assignment(of: DirectoryIdentity("+18005550100")) == nil,
            "nothing of a refused file is written"
        )

        await expectRefusal(.unknownNumber) { try await directory.unassign(DirectoryIdentity("+14255550100"), in: Self.other) }
        try await directory.unassign(DirectoryIdentity("+14255550100"), in: calls.tenant)
        _ = try await directory.assign(DirectoryIdentity("+14255550100"), to: .user(UserPrincipalName("eve@contoso.com")), in: Self.other)
        #expect(try await directory.assignments(in: calls.tenant).map(\.identity.description) == ["sip:ann@fabrikam.com"])
        #expect(try await directory.assignments(in: Self.other, holder: .user(UserPrincipalName("eve@contoso.com"))).count == 1)
    }

    @Test("A start names its caller by SIP address or number: the directory gives the user and the caller's number; an unknown caller is refused")
    func startByIdentity() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(10_00)
        let ann = try await calls.user("ann", [.phoneSystem, .domesticCallingPlan, .communicationsCredits])
        _ = try await calls.billing.directoryService.assign(DirectoryIdentity("+12065550123"), to: .user(ann), in: calls.tenant)
        _ = try await calls.billing.directoryService.assign(DirectoryIdentity("sip:ann@fabrikam.com"), to: .user(ann), in: calls.tenant)

        let bySIP = try await calls.service.start(request("by-sip", callerUri: "sip:ann@fabrikam.com", callee: "+442071234567"), for: calls.tenant)
        #expect(bySIP.allowed && bySIP.capability == .communicationsCredits, "\(bySIP)")
        let session = try #require(try await calls.billing.stores.calls.session(CallSessionId("by-sip"), for: calls.tenant))
        #expect(session.start.upn == ann && session.start.caller.description == "+12065550123", "the user and their number come from the directory")

        let byNumber = try await calls.service.start(request("by-number", callerNumber: "+12065550123", callee: "+442071234567"), for: calls.tenant)
        #expect(byNumber.allowed)
        let unknown = try await calls.service.start(request("unknown", callerNumber: "+12065550999"), for: calls.tenant)
        #expect(!unknown.allowed && unknown.reason == .unknownUser)
        await expectRefusal(.unknownNumber) {
            _ = try await calls.service.start(request("no-number", callerUri: "sip:nobody@fabrikam.com"), for: calls.tenant)
        }
        let repeated = try await calls.service.start(request("by-sip", callerUri: "sip:ann@fabrikam.com", callee: "+442071234567"), for: calls.tenant)
        #expect(repeated == bySIP, "a repeat gets the first answer")
    }

    @Test(
        "A start by number alone finds its tenant: a toll-free number of a resource account is charged to its tenant; a number of a tenant the caller does not reach is unknown"
    )
    func startFindsTheTenant() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(10_00)
        try await addOtherTenant(calls)
        _ = try await calls.billing.directoryService.assign(DirectoryIdentity("+18005550100"), to: .resourceAccount("Support line"), in: calls.tenant)
        let platform = Principal(credential: .token(id: "tok_platform"), tenantId: nil, permissions: Scope.calls.permissions)

        let inbound = try request("toll-free", .resourceAccountIn, callerNumber: "+442071234567", callee: "+18005550100")
        let started = try await calls.service.start(inbound, by: platform)
        #expect(started.tenantId == calls.tenant && started.answer.allowed && started.answer.capability == .communicationsCredits, "\(started)")
        #expect(try await calls.billing.balance().heldMinor > 0, "toll-free into a call queue is held against the balance")

        let contosoOnly = Principal(credential: .token(id: "tok_contoso"), tenantId: Self.other, permissions: Scope.calls.permissions)
        await expectRefusal(.unknownNumber) { _ = try await calls.service.start(inbound, by: contosoOnly) }
        await expectRefusal(.unknownNumber) {
            _ = try await calls.service.start(
                try request("nobody", .resourceAccountIn, callerNumber: "+442071234567", callee: "+18005550111"),
                by: platform
            )
        }
        let reports = Principal(credential: .token(id: "tok_reports"), tenantId: nil, permissions: Scope.reports.permissions)
        await expectRefusal(.forbidden) { _ = try await calls.service.start(inbound, by: reports) }
    }

    func request(
        _ session: String,
        _ type: CallType = .userOut,
        callerUri: String? = nil,
        callerNumber: String? = nil,
        callee: String = "+12065550111"
    ) throws -> CallStartRequest {
        try CallStartRequest(
            sessionId: CallSessionId(session),
            requestNumber: 1,
            callType: type,
            upn: nil,
            callerAddress: callerUri.map { try SIPAddress($0) },
            callerNumber: callerNumber.map { try PhoneNumber($0) },
            callee: PhoneNumber(callee),
            startTime: Billing.start,
            callId: nil
        )
    }
}
