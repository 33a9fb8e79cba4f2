import CreditsCore
import Testing

/// The export's columns and values (`DOMAIN.md` section 10).
@Suite struct UsageReportRowTests {
    func record(_ type: CallType, caller: String, callee: String, external: String?) throws -> UsageRecord {
        UsageRecord(
            usageId: "u1",
            callId: "c1",
            conferenceId: nil,
            userLocation: CountryCode("US"),
            userObjectId: nil,
            upn: try UserPrincipalName("ann@contoso.com"),
            userDisplayName: "Ann, \"the\" Caller",
            callerNumber: try PhoneNumber(caller),
            callType: type,
            numberType: .mobile,
            isDomestic: false,
            destinationName: "Germany - Mobile",
            destinationNumber: try PhoneNumber(callee),
            externalCountry: external.flatMap(CountryCode.init),
            startTime: ISO8601.parse("2027-03-01T09:00:00Z")!,
            endTime: ISO8601.parse("2027-03-01T09:01:01Z")!,
            durationSeconds: 61,
            billedSeconds: 120,
            messageUnits: 0,
            connectionFeeMinor: 5,
            chargeMinor: 1234,
            currency: .usd,
            capability: .communicationsCredits,
            pool: nil,
            poolUnits: 0,
            source: .upload,
            administrativeUnits: nil
        )
    }

    @Test func theColumnsAreTheTwentyFiveOfTheDomainInOrder() {
        let domain = """
            UsageId, Call ID, Conference ID, User Location, Microsoft Entra ObjectId, UPN, User Display \
            Name, Caller ID, Call Type, Call Direction, Number Type, Domestic/International, Destination \
            Dialed, Destination Number, External Country, Start Time, End Time, Duration Seconds, \
            Connection Fee, Charge, Currency, Capability, Operator, Source of Call Duration, \
            Administrative Units
            """
        #expect(UsageReportRow.columns == domain.split(separator: ",").map { String($0.drop { $0 == " " }) })
        #expect(UsageReportRow.columns.count == 25)
    }

    @Test func anOutgoingCallShowsItsFiguresAndMasksTheNumberDialled() throws {
        let values = UsageReportRow.values(try record(.userOut, caller: "+14255550100", callee: "+4915112345678", external: "DE"))
        #expect(values.count == 25)
        let row = Dictionary(uniqueKeysWithValues: zip(UsageReportRow.columns, values))
        #expect(row["Caller ID"] == "+14255550100")
        #expect(row["Destination Number"] == "+4915112345***", "Germany: the last 3 digits")
        #expect(row["Call Direction"] == "Outbound" && row["Domestic/International"] == "International")
        #expect(row["Start Time"] == "2027-03-01T09:00:00Z" && row["Duration Seconds"] == "61")
        #expect(row["Connection Fee"] == "0.05" && row["Charge"] == "12.34" && row["Currency"] == "USD")
        #expect(row["Capability"] == "MCOPSTNPP" && row["User Display Name"] == "Ann, \"the\" Caller")
    }

    @Test func anIncomingCallMasksTheCallerAndFranceHidesFourDigits() throws {
        let values = UsageReportRow.values(try record(.userIn, caller: "+33612345678", callee: "+14255550100", external: "FR"))
        let row = Dictionary(uniqueKeysWithValues: zip(UsageReportRow.columns, values))
        #expect(row["Caller ID"] == "+3361234****")
        #expect(row["Destination Number"] == "+14255550100")
        #expect(row["Call Direction"] == "Inbound")
    }

    @Test func countriesWithoutTheRuleAreShownWhole() throws {
        #expect(ExternalNumberMasking.masked(try PhoneNumber("+447700900123"), country: CountryCode("GB")) == "+447700900123")
        #expect(ExternalNumberMasking.masked(try PhoneNumber("+447700900123"), country: nil) == "+447700900123")
        #expect(ExternalNumberMasking.masked(try PhoneNumber("+41441234567"), country: CountryCode("CH")) == "+4144123****")
    }
}

/// How long usage is kept (`DOMAIN.md` section 10: reports reach back at most 12 months).
@Suite struct UsageRetentionTests {
    let now = ISO8601.parse("2027-03-01T09:00:00Z")!

    @Test func keepsThirtyToThreeHundredSixtyFiveDays() throws {
        #expect(UsageRetention.standard.days == 365)
        #expect(try UsageRetention(days: 30).days == 30)
        #expect(throws: Refusal.self) { try UsageRetention(days: 29) }
        #expect(throws: Refusal.self) { try UsageRetention(days: 366) }
    }

    @Test func theHorizonClampsReportsAndRefusesOlderUploads() throws {
        let retention = try UsageRetention(days: 30)
        let horizon = ISO8601.parse("2027-01-30T09:00:00Z")!
        #expect(retention.horizon(at: now) == horizon)
        #expect(retention.clamp(ISO8601.parse("2026-01-01")!, at: now) == horizon)
        #expect(retention.clamp(ISO8601.parse("2027-02-01")!, at: now) == ISO8601.parse("2027-02-01")!)
        try retention.check(startTime: horizon, at: now)
        #expect(throws: Refusal.self) {
            try retention.check(startTime: Instant(millisecondsSinceEpoch: horizon.millisecondsSinceEpoch - 1), at: now)
        }
    }
}
