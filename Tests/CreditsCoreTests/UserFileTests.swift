import CreditsCore
import Testing

@Suite("Reading uploaded CSV files")
struct UserFileTests {
    func users(_ text: String) -> Result<[NumberedLine<User>], RefusedLines> { UserFiles.users(Array(text.utf8)) }

    @Test("Quoted fields keep their commas, quotes and line breaks, and lines are counted from the file")
    func quoting() throws {
        var records = CSVRecords(Array("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",x,\n\nlast".utf8))
        let all = Array(AnySequence { records })
        _ = records.next()
        #expect(all.map(\.line) == [1, 2, 4, 5])
        #expect(all[0].fields == ["a", "b,c", "say \"hi\""])
        #expect(all[1].fields == ["two\nlines", "x", ""])
        #expect(all[3].fields == ["last"])
    }

    @Test(
        "Malformed quoting is refused with the line it is on",
        arguments: [
            ("upn\n\"a@f.com\n", 2, "never closed"),
            ("upn\na\"b@f.com\n", 2, "inside an unquoted field"),
            ("upn\nok@f.com\n\"a@f.com\"x\n", 3, "after a closing quote"),
        ]
    )
    func malformed(text: String, line: Int, reason: String) throws {
        guard case let .failure(refused) = UserFiles.principalNames(Array(text.utf8)) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(refused.lines.map(\.line) == [line])
        #expect(refused.lines.first?.error.detail.contains(reason) == true)
    }

    @Test("A user file names every bad line: wrong field counts, bad names, countries, roles, licenses and repeats")
    func badUsers() throws {
        let text = """
            upn,displayName,usageLocation,roles,licenses
            ok@f.com,Ok,US,Global Administrator;billingAdministrator,MCOEV;MCOPSTN1
            short@f.com,Short,US
            not-a-name,X,US,,
            c@f.com,C,XX,,
            d@f.com,D,US,Chief Wizard,
            e@f.com,E,US,,MCOFANTASY
            OK@f.com,Again,US,,
            """
        guard case let .failure(refused) = users(text) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(refused.lines.map(\.line) == [3, 4, 5, 6, 7, 8])
        #expect(
            refused.lines.map(\.error.code) == [
                .malformedFile, .invalidUpn, .invalidUsageLocation, .unknownRole, .unknownLicense, .duplicateUser,
            ]
        )
        #expect(refused.description.hasPrefix("Nothing was changed; 6 lines are wrong:\nline 3:"))
    }

    @Test("A good user file reads every user, in any column order and case")
    func goodUsers() throws {
        let text = "UsageLocation,UPN,DisplayName,Roles\nGB,Ada@Fabrikam.com,\"Lovelace, Ada\",Teams Communications Administrator\n"
        let read = try users(text).get()
        #expect(read.count == 1)
        #expect(read[0].line == 2)
        #expect(read[0].value.upn.rawValue == "ada@fabrikam.com")
        #expect(read[0].value.displayName == "Lovelace, Ada")
        #expect(read[0].value.usageLocation.rawValue == "GB")
        #expect(read[0].value.roles == [.teamsCommunicationsAdministrator])
    }

    @Test("A user file reads each user's administrative units, and names a bad one or too many")
    func administrativeUnits() throws {
        let many = (1...51).map { "U\($0)" }.joined(separator: ";")
        let text = """
            upn,displayName,usageLocation,administrativeUnits
            ada@f.com,Ada,GB, Sales ;EMEA;Sales
            bo@f.com,Bo,US,
            cy@f.com,Cy,US,\(many)
            di@f.com,Di,US,"\(String(repeating: "x", count: 129))"
            """
        guard case let .failure(refused) = users(text) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(refused.lines.map(\.line) == [4, 5] && Set(refused.lines.map(\.error.code)) == [.invalidAdministrativeUnits])
        let good = try users("upn,displayName,usageLocation,administrativeUnits\nada@f.com,Ada,GB, Sales ;EMEA;Sales\nbo@f.com,Bo,US,\n").get()
        #expect(good[0].value.administrativeUnits.map(\.rawValue).sorted() == ["EMEA", "Sales"], "trimmed, once each")
        #expect(good[1].value.administrativeUnits.isEmpty)
        #expect(throws: Refusal.self) { try AdministrativeUnit("Sales\u{7}") }
    }

    @Test("A header without the needed columns, or with unknown ones, is refused on line 1")
    func header() {
        guard case let .failure(refused) = UserFiles.principalNames(Array("name,email\na,b\n".utf8)) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(refused.lines.allSatisfy { $0.line == 1 })
        guard case .failure = UserFiles.principalNames(Array("".utf8)) else {
            Issue.record("an empty file must be refused")
            return
        }
    }

    @Test("Every role has a display name and is found by it")
    func roles() {
        #expect(Role.allCases.count == 20)
        for role in Role.allCases { #expect(Role(named: role.displayName) == role) }
        #expect(Role.azureADJoinedDeviceLocalAdministrator.displayName == "Azure AD Joined Device Local Administrator")
        #expect(Role.teamsCommunicationsSupportEngineer.displayName == "Teams Communications Support Engineer")
    }
}
