import CreditsCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// Destination rules through the real server: set, judged on the call path, guarded by role and
/// tenant, and written in the audit trail.
@Suite("The HTTP API for call controls")
struct CallControlAPITests {
    let api = TestAPI()

    func start(_ client: any TestClientProtocol, _ session: String, by upn: String, to callee: String) async throws -> [String: Any] {
        try await api.send(
            client,
            .post,
            "/v1/tenants/tailspin/calls/\(session)/start",
            #"{"requestNumber":1,"callType":"user_out","upn":"\#(upn)@tailspin.com","callerNumber":"+14255550100","calleeNumber":"\#(callee)","startTime":"2027-03-01T08:00:00Z"}"#,
            expect: .ok
        )
    }

    @Test("Rules set over HTTP refuse the calls they name, with the rule; a user's own rules add to them; every change is in the trail")
    func rulesOnTheCallPath() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await api.putSampleDeck(client)
            try await api.tailspin(client)
            try await api.advance(client, to: "2027-03-01T08:00:00Z")
            let set = try await api.send(
                client,
                .put,
                "/v1/tenants/tailspin/call-controls/destination-rules",
                #"{"blockedNumberTypes":["premium","sharedCost"],"destinations":["cu","+882"]}"#,
                expect: .ok
            )
            #expect(set["mode"] as? String == "blockListed" && set["destinations"] as? [String] == ["CU", "+882"])
            #expect(set["blockedNumberTypes"] as? [String] == ["premium", "sharedCost"])

            let premium = try await start(client, "p1", by: "payg", to: "+449012345678")
            #expect(premium["allowed"] as? Bool == false && premium["reason"] as? String == "destinationBlocked")
            #expect(premium["rule"] as? String == "numberType:premium")
            #expect(premium["detail"] as? String == "Calls to premium numbers are blocked by the destination rules.")
            #expect(try await start(client, "g1", by: "payg", to: "+442071234567")["allowed"] as? Bool == true)

            let own = try await api.send(
                client,
                .put,
                "/v1/tenants/tailspin/users/payg@tailspin.com/destination-rules",
                #"{"mode":"allowListedOnly","destinations":["US"]}"#,
                expect: .ok
            )
            #expect(own["ownRules"] as? Bool == true)
            #expect(try await start(client, "g2", by: "payg", to: "+442071234567")["rule"] as? String == "allowList")
            #expect(try await start(client, "g3", by: "dom", to: "+442071234567")["allowed"] as? Bool == true, "only payg has the allow list")
            let removed = try await api.send(client, .delete, "/v1/tenants/tailspin/users/payg@tailspin.com/destination-rules", expect: .ok)
            #expect(removed["ownRules"] as? Bool == false)
            #expect(try await start(client, "g4", by: "payg", to: "+442071234567")["allowed"] as? Bool == true)

            let refused = try await api.send(client, .get, "/v1/tenants/tailspin/reports/refused-calls?days=7", expect: .ok)
            #expect(refused["calls"] as? Int == 2 && refused["from"] as? String == "2027-02-23" && refused["to"] as? String == "2027-03-01")
            let reasons = refused["reasons"] as? [[String: Any]] ?? []
            #expect(reasons.count == 1 && reasons.first?["reason"] as? String == "destinationBlocked" && reasons.first?["calls"] as? Int == 2)
            #expect((refused["days"] as? [[String: Any]])?.first?["day"] as? String == "2027-03-01")
            for days in ["0", "91", "x"] {
                try await api.send(client, .get, "/v1/tenants/tailspin/reports/refused-calls?days=\(days)", expect: .badRequest)
            }
            let trail = try await api.send(client, .get, "/v1/tenants/tailspin/call-controls/changes?limit=2", expect: .ok)
            let changes = trail["changes"] as? [[String: Any]] ?? []
            #expect(changes.map { $0["subject"] as? String } == ["Destination rules of payg@tailspin.com", "Destination rules of payg@tailspin.com"])
            #expect(changes.first?["before"] as? String == "allows only US" && changes.first?["after"] as? String == "blocks nothing")
            #expect((changes.first?["actor"] as? String)?.hasPrefix("token ") == true)
            let next = try #require(trail["next"] as? Int)
            let older = try await api.send(client, .get, "/v1/tenants/tailspin/call-controls/changes?before=\(next)", expect: .ok)
            #expect((older["changes"] as? [[String: Any]])?.map { $0["after"] as? String } == ["blocks premium, sharedCost; blocks CU, +882"])
        }
    }

    @Test("Bad rules are a clear 4xx that changes nothing; a reader may not change them; another tenant's token sees no such tenant")
    func refusals() async throws {
        try await TestServer.run { client, database in
            try await api.createTenant(client, id: "tailspin")
            try await api.createTenant(client, id: "contoso")
            let path = "/v1/tenants/tailspin/call-controls/destination-rules"
            for (body, status, code) in [
                (#"{"blockedNumberTypes":["gold"]}"#, 422, "invalidBlockedNumberTypes"),
                (#"{"destinations":["Cuba"]}"#, 422, "invalidDestinations"),
                (#"{"destinations":["+0882"]}"#, 422, "invalidPrefix"),
                (#"{"mode":"allowListedOnly"}"#, 422, "invalidDestinations"),
                (#"{"mode":"everything"}"#, 422, "invalidMode"),
                (#"{"destinations":"CU"}"#, 400, "invalidRequest"),
                (#"{"destinations":[\#((0...500).map { "\"+\(1000 + $0)\"" }.joined(separator: ","))]}"#, 422, "invalidDestinations"),
            ] {
                let problem = try await api.send(client, .put, path, body, expect: .init(code: status))
                #expect(problem["code"] as? String == code, "\(body.prefix(60))")
            }
            let unchanged = try await api.send(client, .get, path, expect: .ok)
            #expect(unchanged["destinations"] as? [String] == [] && unchanged["blockedNumberTypes"] as? [String] == [])
            try await api.send(
                client,
                .put,
                "/v1/tenants/tailspin/users/nobody@tailspin.com/destination-rules",
                #"{"blockedNumberTypes":["premium"]}"#,
                expect: .notFound
            )

            let reader = try await database.token([.reports], tenant: "tailspin")
            let other = try await database.token([.billing], tenant: "contoso")
            for (token, method, status) in [(reader, HTTPRequest.Method.get, 200), (reader, .put, 403), (other, .get, 404), (other, .put, 404)] {
                try await client.execute(
                    uri: path,
                    method: method,
                    headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"blockedNumberTypes":["premium"]}"#)
                ) { response in #expect(response.status.code == status, "\(method) with \(token.prefix(8))") }
            }
            let trail = try await api.send(client, .get, "/v1/tenants/tailspin/call-controls/changes", expect: .ok)
            #expect((trail["changes"] as? [Any])?.isEmpty == true, "nothing refused was written")
        }
    }

    @Test("A spend limit set over HTTP caps the grant and refuses past it; what is left shows; a CSV sets many users at once, all or nothing")
    func spendLimitsAndImport() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await api.putSampleDeck(client)
            try await api.tailspin(client)
            try await api.advance(client, to: "2027-03-01T08:00:00Z")
            let path = "/v1/tenants/tailspin/users/payg@tailspin.com/spend-limit"
            let none = try await api.send(client, .get, path, expect: .ok)
            #expect(none["monthlyLimitMinor"] == nil && none["spentMinor"] as? Int == 0 && none["month"] as? String == "2027-03")
            let set = try await api.send(client, .put, path, #"{"monthlyLimitMinor":3}"#, expect: .ok)
            #expect(set["monthlyLimitMinor"] as? Int == 3 && set["leftMinor"] as? Int == 3 && set["currency"] as? String == "USD")
            // US calls cost 1 cent a minute in the sample deck: 3 cents buy 3 minutes.
            let capped = try await start(client, "l1", by: "payg", to: "+12065550100")
            #expect(capped["grantedSeconds"] as? Int == 180 && capped["finalGrant"] as? Bool == true)
            let refused = try await start(client, "l2", by: "payg", to: "+12065550100")
            #expect(refused["allowed"] as? Bool == false && refused["reason"] as? String == "spendLimitReached")
            let held = try await api.send(client, .get, "/v1/tenants/tailspin/call-controls/spend-limits", expect: .ok)
            let row = (held["limits"] as? [[String: Any]])?.first
            #expect(row?["upn"] as? String == "payg@tailspin.com" && row?["heldMinor"] as? Int == 3 && row?["leftMinor"] as? Int == 0)
            for (body, code) in [(#"{"monthlyLimitMinor":-1}"#, "invalidMonthlyLimitMinor"), (#"{"monthlyLimitMinor":"5"}"#, "invalidRequest")] {
                #expect(
                    try await api.send(client, .put, path, body, expect: body.contains("-1") ? .unprocessableContent : .badRequest)["code"] as? String
                        == code
                )
            }
            try await api.send(
                client,
                .put,
                "/v1/tenants/tailspin/users/nobody@tailspin.com/spend-limit",
                #"{"monthlyLimitMinor":5}"#,
                expect: .notFound
            )

            let importPath = "/v1/tenants/tailspin/call-controls/user-controls/import"
            let bad =
                "upn,monthlyLimit,blockedNumberTypes,mode,destinations\ndom@tailspin.com,25.00,premium,,\nnobody@tailspin.com,1.00,,,\nintl@tailspin.com,lots,,,\n"
            let refusal = try await client.execute(uri: importPath, method: .post, headers: [.contentType: "text/csv"], body: ByteBuffer(string: bad))
            { response in
                #expect(response.status == .unprocessableContent)
                return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            }
            #expect((refusal?["lines"] as? [[String: Any]])?.map { $0["line"] as? Int } == [4], "the amount is judged before the directory")
            let good =
                "upn,monthlyLimit,blockedNumberTypes,mode,destinations\ndom@tailspin.com,25.00,premium,,\nintl@tailspin.com,,,allowListedOnly,GB;+353\n"
            let applied = try await client.execute(
                uri: importPath,
                method: .post,
                headers: [.contentType: "text/csv"],
                body: ByteBuffer(string: good)
            ) { response in
                #expect(response.status == .ok)
                return (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["applied"] as? Int
            }
            #expect(applied == 2)
            #expect(
                try await api.send(client, .get, "/v1/tenants/tailspin/users/dom@tailspin.com/spend-limit", expect: .ok)["monthlyLimitMinor"] as? Int
                    == 2500
            )
            let intl = try await api.send(client, .get, "/v1/tenants/tailspin/users/intl@tailspin.com/destination-rules", expect: .ok)
            #expect((intl["rules"] as? [String: Any])?["destinations"] as? [String] == ["GB", "+353"])
            let trail =
                try await api.send(client, .get, "/v1/tenants/tailspin/call-controls/changes", expect: .ok)["changes"] as? [[String: Any]] ?? []
            #expect(
                trail.prefix(2).compactMap { $0["subject"] as? String }.sorted() == [
                    "Controls of dom@tailspin.com (imported)", "Controls of intl@tailspin.com (imported)",
                ]
            )
            #expect(
                trail.first { ($0["subject"] as? String)?.hasPrefix("Controls of dom") == true }?["after"] as? String
                    == "$25.00 a month; blocks premium"
            )
        }
    }

    @Test("A unit's limit set over HTTP caps its users' calls together, the tighter of it and the user's; bad names and bodies are a clear 4xx")
    func unitSpendLimits() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await api.putSampleDeck(client)
            try await api.tailspin(client)
            try await api.advance(client, to: "2027-03-01T08:00:00Z")
            let units = "/v1/tenants/tailspin/users/payg@tailspin.com/administrative-units"
            try await api.send(client, .put, units, #"{"administrativeUnits":["Sales","EMEA/North"]}"#, expect: .ok)
            let path = "/v1/tenants/tailspin/call-controls/unit-spend-limits"
            #expect((try await api.send(client, .get, path, expect: .ok)["limits"] as? [Any])?.isEmpty == true)
            try await api.send(client, .put, "/v1/tenants/tailspin/users/payg@tailspin.com/spend-limit", #"{"monthlyLimitMinor":5}"#, expect: .ok)
            try await api.send(client, .put, path, #"{"administrativeUnit":"EMEA/North","monthlyLimitMinor":9}"#, expect: .ok)
            let set = try await api.send(client, .put, path, #"{"administrativeUnit":" Sales ","monthlyLimitMinor":2}"#, expect: .ok)
            let names = (set["limits"] as? [[String: Any]])?.map { $0["administrativeUnit"] as? String }
            #expect(names == ["EMEA/North", "Sales"])
            // US calls cost 1 cent a minute: Sales's 2 cents are the tightest of 5, 9 and 2.
            let capped = try await start(client, "u1", by: "payg", to: "+12065550100")
            #expect(capped["grantedSeconds"] as? Int == 120 && capped["finalGrant"] as? Bool == true)
            let refused = try await start(client, "u2", by: "payg", to: "+12065550100")
            #expect(refused["allowed"] as? Bool == false && refused["reason"] as? String == "spendLimitReached")
            let held = (try await api.send(client, .get, path, expect: .ok)["limits"] as? [[String: Any]]) ?? []
            #expect(held.map { $0["heldMinor"] as? Int } == [2, 2] && held.map { $0["leftMinor"] as? Int } == [7, 0])
            #expect(held.first?["month"] as? String == "2027-03" && held.first?["currency"] as? String == "USD")

            for (body, status, code) in [
                (#"{"administrativeUnit":"a;b","monthlyLimitMinor":1}"#, HTTPResponse.Status.unprocessableContent, "invalidAdministrativeUnits"),
                (#"{"administrativeUnit":"Sales","monthlyLimitMinor":-1}"#, .unprocessableContent, "invalidMonthlyLimitMinor"),
                (#"{"administrativeUnit":"Sales"}"#, .badRequest, "invalidRequest"),
            ] {
                #expect(try await api.send(client, .put, path, body, expect: status)["code"] as? String == code, "\(body)")
            }
            #expect(try await api.send(client, .delete, path, expect: .unprocessableContent)["code"] as? String == "invalidAdministrativeUnit")
            let removed = try await api.send(client, .delete, path + "?administrativeUnit=Sales", expect: .ok)
            #expect((removed["limits"] as? [[String: Any]])?.map { $0["administrativeUnit"] as? String } == ["EMEA/North"])
            let trail =
                try await api.send(client, .get, "/v1/tenants/tailspin/call-controls/changes", expect: .ok)["changes"] as? [[String: Any]] ?? []
            #expect(
                trail.first?["subject"] as? String == "Spend limit of administrative unit Sales"
                    && trail.first?["before"] as? String == "$0.02 a month"
                    && trail.first?["after"] as? String == "no limit"
            )
        }
    }

    @Test(
        "The velocity alarm set over HTTP suspends international calls at once and says why; a resume lets them through; bad settings are a clear 4xx"
    )
    func velocityAlarm() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await api.putSampleDeck(client)
            try await api.tailspin(client)
            try await api.advance(client, to: "2027-03-01T08:00:00Z")
            let path = "/v1/tenants/tailspin/call-controls/velocity-alarm"
            let off = try await api.send(client, .get, path, expect: .ok)
            #expect(off["suspended"] as? Bool == false && off["thresholdMinor"] == nil && off["spentMinor"] as? Int == 0)
            for (body, status, code) in [
                ("{}", HTTPResponse.Status.unprocessableContent, "invalidHourlyAmountMinor"),
                (#"{"usualMultiple":1}"#, .unprocessableContent, "invalidUsualMultiple"),
                (#"{"hourlyAmountMinor":0}"#, .unprocessableContent, "invalidHourlyAmountMinor"),
                (#"{"hourlyAmountMinor":"5"}"#, .badRequest, "invalidRequest"),
            ] {
                #expect(try await api.send(client, .put, path, body, expect: status)["code"] as? String == code, "\(body)")
            }
            #expect(try await api.send(client, .get, path, expect: .ok)["hourlyAmountMinor"] == nil, "nothing was written")
            let set = try await api.send(client, .put, path, #"{"hourlyAmountMinor":1}"#, expect: .ok)
            #expect(set["thresholdMinor"] as? Int == 1 && set["currency"] as? String == "USD")
            let refused = try await start(client, "v1", by: "payg", to: "+442071234567")
            #expect(refused["allowed"] as? Bool == false && refused["reason"] as? String == "velocitySuspended")
            #expect((refused["detail"] as? String)?.contains("velocity alarm") == true)
            let domestic = try await start(client, "v2", by: "payg", to: "+12065550100")
            #expect(domestic["allowed"] as? Bool == true, "domestic calls go on")
            let suspended = try await api.send(client, .get, path, expect: .ok)
            #expect(suspended["suspended"] as? Bool == true && suspended["suspendedThresholdMinor"] as? Int == 1)
            #expect((suspended["heldMinor"] as? Int ?? 0) > 0, "the domestic call's hold counts")

            try await api.send(client, .put, path, #"{"hourlyAmountMinor":100000}"#, expect: .ok)
            #expect(try await api.send(client, .get, path, expect: .ok)["suspended"] as? Bool == true, "a new amount does not resume")
            let resumed = try await api.send(client, .post, path + "/resume", expect: .ok)
            #expect(resumed["suspended"] as? Bool == false && resumed["chargedMinor"] as? Int == 0)
            #expect(try await start(client, "v3", by: "payg", to: "+442071234567")["allowed"] as? Bool == true)
            let trail =
                try await api.send(client, .get, "/v1/tenants/tailspin/call-controls/changes", expect: .ok)["changes"] as? [[String: Any]] ?? []
            #expect(trail.prefix(4).compactMap { $0["after"] as? String }.contains("resumed"))
            #expect(trail.contains { $0["actor"] as? String == "velocity alarm" })
            let removed = try await api.send(client, .delete, path, expect: .ok)
            #expect(removed["hourlyAmountMinor"] == nil && removed["thresholdMinor"] == nil)
        }
    }
}
