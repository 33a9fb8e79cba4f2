import CreditsCore
import Testing

@Suite("Directory numbers and SIP addresses")
struct NumberAssignmentTests {
    @Test("SIP addresses: sip: or sips:, user@host, compared without case; parameters, brackets, spaces and other schemes refused")
    func sipAddresses() throws {
        #expect(try SIPAddress("sip:Ann@Fabrikam.COM").rawValue == "sip:ann@fabrikam.com")
        #expect(try SIPAddress(" sips:ann@fabrikam.com ") == SIPAddress("sip:ann@fabrikam.com"))
        for bad in [
            "ann@fabrikam.com", "sip:", "sip:@host", "sip:ann@", "sip:ann@host;transport=tcp", "<sip:ann@host>", "sip:a b@host",
            "tel:+14255550100", "sip:ann@host@x", "sip:" + String(repeating: "a", count: 250) + "@host", "sip:ann\u{0}@host",
        ] {
            #expect(throws: Refusal.self, "\(bad)") { try SIPAddress(bad) }
        }
        #expect(try DirectoryIdentity("+14255550100") == .number(PhoneNumber("+14255550100")))
        #expect(try DirectoryIdentity("sip:ann@host") == .sip(SIPAddress("sip:ann@host")))
        #expect(throws: Refusal.self) { try DirectoryIdentity("14255550100") }
        for text in ["+14255550100", "sip:ann@host"] { #expect(DirectoryIdentity(stored: text).description == text) }
    }

    @Test("A number file names a user or a resource account on each line; duplicates and bad lines are all named, nothing is read")
    func numberFile() throws {
        let tenant = TenantId("fabrikam")
        let good = try UserFiles.numbers(
            Array(
                "number,upn,resourceAccount\n+14255550100,ann@fabrikam.com,\nsip:ann@fabrikam.com,ann@fabrikam.com,\n+18005550100,,Support line\n"
                    .utf8
            ),
            in: tenant
        ).get()
        #expect(
            good.map(\.value.holder) == [
                .user(try UserPrincipalName("ann@fabrikam.com")), .user(try UserPrincipalName("ann@fabrikam.com")),
                .resourceAccount("Support line"),
            ]
        )
        #expect(good.map(\.line) == [2, 3, 4])
        let bad = UserFiles.numbers(
            Array(
                "number,upn,resourceAccount\n+14255550100,ann@fabrikam.com,\n+14255550100,bob@fabrikam.com,\n12345,ann@fabrikam.com,\n+18005550100,ann@fabrikam.com,Queue\n+18005550101,,\n"
                    .utf8
            ),
            in: tenant
        )
        guard case let .failure(refused) = bad else {
            Issue.record("a bad file was read")
            return
        }
        #expect(refused.lines.map(\.line) == [3, 4, 5, 6])
        #expect(refused.lines.first?.error.code == .duplicateNumber)
    }

    @Test("Judging an assignment: a number another tenant holds and an unknown user are refused, each on its line")
    func judge() throws {
        let tenant = TenantId("fabrikam")
        let ann = try UserPrincipalName("ann@fabrikam.com")
        let lines = [
            NumberedLine(line: 2, value: NumberAssignment(identity: try DirectoryIdentity("+14255550100"), tenantId: tenant, holder: .user(ann))),
            NumberedLine(
                line: 3,
                value: NumberAssignment(
                    identity: try DirectoryIdentity("+14255550101"),
                    tenantId: tenant,
                    holder: .user(try UserPrincipalName("bob@fabrikam.com"))
                )
            ),
            NumberedLine(
                line: 4,
                value: NumberAssignment(
                    identity: try DirectoryIdentity("+18005550100"),
                    tenantId: tenant,
                    holder: .resourceAccount("Queue")
                )
            ),
        ]
        #expect(throws: Never.self) { try NumberAssignment.judge([lines[0], lines[2]], heldElsewhere: [], users: [ann]) }
        let tollFree = try DirectoryIdentity("+18005550100")
        do throws(RefusedLines) {
            try NumberAssignment.judge(lines, heldElsewhere: [tollFree], users: [ann])
            Issue.record("refusals were not thrown")
        } catch {
            #expect(error.lines.map(\.line) == [3, 4])
            #expect(error.lines.map { $0.error.code } == [.unknownUser, .numberHeldElsewhere])
        }
    }

    @Test("A start before the directory: which party it resolves, and what it becomes once resolved")
    func startRequest() throws {
        func request(_ type: CallType, upn: String? = nil, uri: String? = nil, number: String? = nil) throws -> CallStartRequest {
            try CallStartRequest(
                sessionId: CallSessionId("s"),
                requestNumber: 1,
                callType: type,
                upn: upn.map { try UserPrincipalName($0) },
                callerAddress: uri.map { try SIPAddress($0) },
                callerNumber: number.map { try PhoneNumber($0) },
                callee: PhoneNumber("+18005550100"),
                startTime: Instant(millisecondsSinceEpoch: 0),
                callId: nil
            )
        }
        let ann = try UserPrincipalName("ann@fabrikam.com")
        #expect(try request(.userOut, uri: "sip:ann@x", number: "+14255550100").ownParty == .sip(SIPAddress("sip:ann@x")))
        #expect(try request(.userOut, number: "+14255550100").ownParty == .number(PhoneNumber("+14255550100")))
        #expect(try request(.resourceAccountIn, number: "+442071234567").ownParty == .number(PhoneNumber("+18005550100")))
        #expect(try !request(.userOut, upn: "ann@fabrikam.com", number: "+14255550100").needsDirectory)
        #expect(try !request(.resourceAccountIn, number: "+442071234567").needsDirectory)
        #expect(try request(.userOut, upn: "ann@fabrikam.com", uri: "sip:ann@x").needsDirectory, "the caller's number is missing")
        #expect(throws: Refusal.self, "an incoming call has no caller of the tenant's") {
            try request(.userIn, uri: "sip:ann@x", number: "+1425")
        }
        #expect(throws: Refusal.self, "some caller is named") { try request(.userOut) }

        let assignment = NumberAssignment(identity: .sip(try SIPAddress("sip:ann@x")), tenantId: TenantId("fabrikam"), holder: .user(ann))
        let resolved = try request(.userOut, uri: "sip:ann@x").resolved(by: assignment, holderNumber: try PhoneNumber("+14255550100"))
        #expect(resolved.upn == ann && resolved.caller.description == "+14255550100")
        #expect(
            try request(.userOut, upn: "bob@fabrikam.com", number: "+1425").resolved(by: assignment, holderNumber: nil).upn?.rawValue
                == "bob@fabrikam.com",
            "a named user wins"
        )
        #expect(throws: Refusal.self, "no number to show") {
            try request(.userOut, uri: "sip:ann@x").resolved(by: assignment, holderNumber: nil)
        }
        let unknown = try? request(.userOut, uri: "sip:ann@x").resolved(by: nil, holderNumber: nil)
        #expect(unknown == nil)
    }
}
