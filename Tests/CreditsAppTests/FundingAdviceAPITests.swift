import Foundation
import HTTPTypes
import Testing

/// The funding advisor through the real server, from usage uploaded over three days.
@Suite("Funding advice")
struct FundingAdviceAPITests {
    let fixture = NotificationFixture()

    func call(_ id: String, at start: String) -> String {
        #"{"usageId":"\#(id)","callType":"user_out","upn":"ann@northwind.com","callerNumber":"+14255550100","calleeNumber":"+4915112345678","startTime":"\#(start)","durationSeconds":61}"#
    }

    @Test("Mean, 95th percentile, runway, trigger, recharge and forfeiture, each with its numbers; refusals of bad coverDays")
    func advice() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await fixture.northwind(client)  // 5.00 bought at 2027-01-10T09:00Z
            try await fixture.api.send(
                client,
                .post,
                "/v1/tenants/northwind/users",
                #"{"upn":"ann@northwind.com","displayName":"Ann","usageLocation":"US","roles":[]}"#,
                expect: .created
            )
            try await fixture.api.send(
                client,
                .post,
                "/v1/tenants/northwind/users/ann@northwind.com/licenses",
                #"{"add":["MCOEV","MCOPSTN_PAYG","MCOPSTNPP"]}"#,
                expect: .ok
            )
            let early = try await fixture.api.send(client, .get, "/v1/tenants/northwind/reports/funding-advice", expect: .ok)
            #expect(early["ready"] as? Bool == false && (early["detail"] as? String)?.contains("no full day") == true)

            let first = try await fixture.api.send(
                client,
                .post,
                "/v1/tenants/northwind/usage-records",
                #"{"records":[\#(call("a", at: "2027-01-10T10:00:00Z"))]}"#,
                expect: .ok
            )
            let charge = try #require((first["results"] as? [[String: Any]])?.first?["chargeMinor"] as? Int)
            #expect(charge > 0)
            try await fixture.api.send(client, .post, "/v1/test-clock/advance", #"{"to":"2027-01-13T09:00:00Z"}"#, expect: .ok)
            let calls = [call("b", at: "2027-01-12T08:00:00Z"), call("c", at: "2027-01-12T09:00:00Z"), call("d", at: "2027-01-12T10:00:00Z")]
            try await fixture.api.send(
                client,
                .post,
                "/v1/tenants/northwind/usage-records",
                #"{"records":[\#(calls.joined(separator: ","))]}"#,
                expect: .ok
            )
            // Today's call does not count: only full days do.
            try await fixture.api.send(
                client,
                .post,
                "/v1/tenants/northwind/usage-records",
                #"{"records":[\#(call("e", at: "2027-01-13T08:00:00Z"))]}"#,
                expect: .ok
            )

            let advice = try await fixture.api.send(client, .get, "/v1/tenants/northwind/reports/funding-advice", expect: .ok)
            #expect(advice["ready"] as? Bool == true && advice["currency"] as? String == "USD")
            let spend = try #require(advice["dailySpend"] as? [String: Any])
            #expect(spend["from"] as? String == "2027-01-10" && spend["to"] as? String == "2027-01-12" && spend["days"] as? Int == 3)
            #expect(spend["dailyMinor"] as? [Int] == [charge, 0, 3 * charge])
            #expect(spend["totalMinor"] as? Int == 4 * charge)
            #expect(spend["meanMinor"] as? Int == Int((Double(4 * charge) / 3).rounded()))
            #expect(spend["p95Minor"] as? Int == 3 * charge && spend["p95Rank"] as? Int == 3)
            #expect((spend["basis"] as? String)?.contains("in the 3 full days from 10 Jan 2027 to 12 Jan 2027") == true)

            let balance = 500 - 5 * charge
            let runway = try #require(advice["runway"] as? [String: Any])
            #expect(runway["balanceMinor"] as? Int == balance)
            #expect(runway["days"] as? Int == balance * 3 / (4 * charge))

            let trigger = try #require(advice["recommendedTrigger"] as? [String: Any])
            #expect(trigger["coverDays"] as? Int == 7 && trigger["neededMinor"] as? Int == 21 * charge)
            #expect(trigger["amountMinor"] as? Int == (21 * charge + 99) / 100 * 100, "rounded up to whole dollars")

            let recharge = try #require(advice["recommendedRecharge"] as? [String: Any])
            #expect(recharge["targetMinor"] as? Int == (90 * charge + 99) / 100 * 100)
            #expect(recharge["lifetimeDays"] as? Int == 365 && recharge["limitedBy"] as? String == "target")
            #expect(recharge["amountMinor"] as? Int == recharge["targetMinor"] as? Int)

            let lots = try #require(advice["forfeitureForecast"] as? [[String: Any]])
            #expect(lots.count == 1 && lots[0]["remainingMinor"] as? Int == balance && lots[0]["forfeitMinor"] as? Int == 0)
            #expect(lots[0]["usedUpOn"] is String && (lots[0]["basis"] as? String)?.contains("nothing forfeited") == true)
            #expect(advice["forecastForfeitMinor"] as? Int == 0)

            let longer = try await fixture.api.send(client, .get, "/v1/tenants/northwind/reports/funding-advice?coverDays=14", expect: .ok)
            #expect((longer["recommendedTrigger"] as? [String: Any])?["neededMinor"] as? Int == 42 * charge)
            try await fixture.api.send(client, .get, "/v1/tenants/northwind/reports/funding-advice?coverDays=0", expect: .unprocessableContent)
            try await fixture.api.send(client, .get, "/v1/tenants/northwind/reports/funding-advice?coverDays=week", expect: .badRequest)
        }
    }
}
