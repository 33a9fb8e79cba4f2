import Configuration
import CreditsApp
import CreditsCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// Calls through the real server on a test clock, priced by the sample deck.
@Suite("The HTTP API for rates, calls and usage")
struct CallAPITests {
    let api = TestAPI()

    @Test("A month of calls: charges and pool use match the values worked out by hand, and the pools reset on the first")
    func aMonthOfCalls() async throws {
        try await api.withServer(testClock: true) { client in
            try await api.putSampleDeck(client)
            try await api.tailspin(client)
            try await api.advance(client, to: "2027-03-01T08:00:00Z")
            // Domestic 120 minutes = 7,200 s: 3,000 + 3,000 s, then 1,500 s still on the pool (1,200 s were left),
            // then 600 s at 1 cent a minute on credits: 10 cents. A call to the UK: 125 s bills 180 s at 2 cents: 6 cents.
            for (session, seconds) in [("d1", 3000), ("d2", 3000), ("d3", 1500)] {
                #expect(try await api.call(client, session, by: "dom", to: "+12065550100", seconds: seconds)["capability"] as? String == "MCOPSTN5")
            }
            #expect(try await api.call(client, "d4", by: "dom", to: "+12065550100", seconds: 600)["chargeMinor"] as? Int == 10)
            #expect(try await api.call(client, "d5", by: "dom", to: "+442071234567", seconds: 125)["chargeMinor"] as? Int == 6)
            // MCOPSTN2 in the UK: an international 61 s bills 120 s x 5 units; a domestic 30 s bills 60 s x 1.
            #expect(
                try await api.call(client, "i1", by: "intl", from: "+442030000001", to: "+12065550100", seconds: 61)["capability"] as? String
                    == "MCOPSTN2"
            )
            #expect(try await api.call(client, "i2", by: "intl", from: "+442030000001", to: "+442071234567", seconds: 30)["chargeMinor"] as? Int == 0)
            // Pay-As-You-Go: 45 s to the US bills 60 s, 1 cent; 90 s to Germany, billed by the second at 2 cents a minute, 3 cents.
            #expect(try await api.call(client, "p1", by: "payg", to: "+12065550100", seconds: 45)["chargeMinor"] as? Int == 1)
            #expect(try await api.call(client, "p2", by: "payg", to: "+4930123456", seconds: 90)["chargeMinor"] as? Int == 3)
            // Conferencing: 60 minutes to Zone A; 1,800 + 1,900 s (billed 1,920) on the pool, then 60 s to a UK mobile
            // at the 2027 price of 4.5 cents, rounded half up to 5 cents, and
            // 120 s to India, outside Zone A, at 10 cents a minute: 20 cents.
            for (session, seconds) in [("c1", 1800), ("c2", 1900)] {
                #expect(
                    try await api.call(client, session, "conf_out", by: "conf", to: "+447700900123", seconds: seconds)["capability"] as? String
                        == "MCOMEETADD"
                )
            }
            #expect(try await api.call(client, "c3", "conf_out", by: "conf", to: "+447700900123", seconds: 60)["chargeMinor"] as? Int == 5)
            #expect(try await api.call(client, "c4", "conf_out", by: "conf", to: "+919812345678", seconds: 120)["chargeMinor"] as? Int == 20)
            // A caller rings the tenant's toll-free call queue for 200 s: 240 s at 3 cents a minute, 12 cents.
            #expect(
                try await api.call(client, "t1", "ucap_in", by: nil, from: "+13125550100", to: "+18005550199", seconds: 200)["chargeMinor"] as? Int
                    == 12
            )

            let credits = try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)
            #expect(credits["balanceMinor"] as? Int == 5000 - (10 + 6 + 1 + 3 + 5 + 20 + 12))
            #expect(credits["heldMinor"] as? Int == 0)
            let march = try await pools(client, "2027-03")
            #expect(march["MCOPSTN5/US"] == [7_200, 7_500])
            #expect(march["MCOPSTN2/GB"] == [72_000, 660])
            #expect(march["MCOMEETADD"] == [3_600, 3_720])
            let records = try await api.send(client, .get, "/v1/tenants/tailspin/usage-records?from=2027-03-01&to=2027-04-01", expect: .ok)
            #expect((records["records"] as? [[String: Any]])?.count == 14)

            try await api.advance(client, to: "2027-04-01T00:00:00Z")
            #expect(try await pools(client, "2027-04").values.allSatisfy { $0[1] == 0 }, "the pools reset on the first")
            #expect(try await api.call(client, "d6", by: "dom", to: "+12065550100", seconds: 60)["capability"] as? String == "MCOPSTN5")
        }
    }

    func pools(_ client: any TestClientProtocol, _ month: String) async throws -> [String: [Int]] {
        let body = try await api.send(client, .get, "/v1/tenants/tailspin/pools?month=\(month)", expect: .ok)
        var pools: [String: [Int]] = [:]
        for pool in body["pools"] as? [[String: Any]] ?? [] { pools[pool["pool"] as! String] = [pool["capacity"] as! Int, pool["used"] as! Int] }
        return pools
    }

    @Test("Over HTTP: a start off the clock is 422 startTimeOutOfRange; answer, cancel and an overrunning end answer as docs/integration.md says")
    func answerCancelAndClockChecks() async throws {
        try await api.withServer(testClock: true) { client in
            try await api.putSampleDeck(client)
            try await api.tailspin(client)
            try await api.advance(client, to: "2027-03-01T08:00:00Z")
            let start = { (session: String, time: String) in
                #"{"requestNumber":1,"callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+12065550100","startTime":"\#(time)","callId":"sip-\#(session)@pbx"}"#
            }
            let skewed = try await api.send(
                client,
                .post,
                "/v1/tenants/tailspin/calls/a/start",
                start("a", "2027-03-01T10:00:00Z"),
                expect: .unprocessableContent
            )
            #expect(skewed["code"] as? String == "startTimeOutOfRange")
            let started = try await api.send(client, .post, "/v1/tenants/tailspin/calls/a/start", start("a", "2027-03-01T08:00:00Z"), expect: .ok)
            #expect(
                started["firstIncrementSeconds"] as? Int == 60 && started["connectionFeeMinor"] as? Int == 0
                    && started["validUntil"] as? String == "2027-03-01T08:20:00Z"
            )
            try await api.advance(client, to: "2027-03-01T08:00:30Z")
            let answered = try await api.send(client, .post, "/v1/tenants/tailspin/calls/a/answer", #"{"requestNumber":2}"#, expect: .ok)
            #expect(answered["grantedSeconds"] as? Int == 600 && answered["validUntil"] as? String == "2027-03-01T08:20:30Z")
            let cancelled = try await api.send(client, .post, "/v1/tenants/tailspin/calls/a/cancel", #"{"requestNumber":3}"#, expect: .conflict)
            #expect(cancelled["code"] as? String == "sessionAnswered")
            try await api.advance(client, to: "2027-03-01T08:01:30Z")
            let overrun = try await api.send(
                client,
                .post,
                "/v1/tenants/tailspin/calls/a/end",
                #"{"requestNumber":3,"durationSeconds":5000,"endTime":"2027-03-01T08:01:30Z"}"#,
                expect: .ok
            )
            #expect(overrun["durationSeconds"] as? Int == 95, "90 s between start and end, plus the tolerance")

            _ = try await api.send(client, .post, "/v1/tenants/tailspin/calls/b/start", start("b", "2027-03-01T08:01:30Z"), expect: .ok)
            let dropped = try await api.send(client, .post, "/v1/tenants/tailspin/calls/b/cancel", #"{"requestNumber":2}"#, expect: .ok)
            #expect(dropped["allowed"] as? Bool == true && dropped["grantedSeconds"] as? Int == 0)
            #expect(try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)["heldMinor"] as? Int == 0)
            let records =
                try await api.send(client, .get, "/v1/tenants/tailspin/usage-records?from=2027-03-01&to=2027-03-02", expect: .ok)["records"]
                as? [[String: Any]]
            #expect(
                records?.map { $0["usageId"] as? String } == ["a"] && records?.first?["callId"] as? String == "sip-a@pbx",
                "the cancelled call left no record"
            )
        }
    }

    @Test(
        "Over HTTP: numbers assigned and imported; a platform token for every tenant starts a call by its number alone and continues it in the tenant the answer names"
    )
    func callsByNumber() async throws {
        try await TestServer.run(testClock: true) { client, database in
            try await api.putSampleDeck(client)
            try await api.tailspin(client)
            try await api.advance(client, to: "2027-03-01T08:00:00Z")
            let assigned = try await api.send(
                client,
                .put,
                "/v1/tenants/tailspin/numbers/sip:PAYG@tailspin.com",
                #"{"upn":"payg@tailspin.com"}"#,
                expect: .ok
            )
            #expect(assigned["number"] as? String == "sip:payg@tailspin.com" && assigned["upn"] as? String == "payg@tailspin.com")
            let imported = try await client.execute(
                uri: "/v1/tenants/tailspin/numbers/import",
                method: .post,
                headers: [.contentType: "text/csv"],
                body: ByteBuffer(string: "number,upn,resourceAccount\n+14255550142,payg@tailspin.com,\n+18005550100,,Support line\n")
            ) {
                (response: TestResponse) in (response.status, String(buffer: response.body))
            }
            #expect(imported.0 == .ok && imported.1.contains(#""assigned":2"#), "\(imported)")
            let badFile = try await client.execute(
                uri: "/v1/tenants/tailspin/numbers/import",
                method: .post,
                headers: [.contentType: "text/csv"],
                body: ByteBuffer(string: "number,upn\n+14255550143,nobody@tailspin.com\nsip:bad,payg@tailspin.com\n")
            ) {
                (response: TestResponse) in response.status
            }
            #expect(badFile == .unprocessableContent)
            let listed =
                try await api.send(client, .get, "/v1/tenants/tailspin/numbers?upn=payg@tailspin.com", expect: .ok)["numbers"] as? [[String: Any]]
            #expect(listed?.map { $0["number"] as? String } == ["+14255550142", "sip:payg@tailspin.com"], "nothing of the bad file was assigned")
            let encoded = try await api.send(
                client,
                .put,
                "/v1/tenants/tailspin/numbers/%2B14255550144",
                #"{"upn":"nobody@tailspin.com"}"#,
                expect: .notFound
            )
            #expect(encoded["code"] as? String == "unknownUser")

            let platform = try await database.token(Scope.platform)
            let now = "2027-03-01T08:00:00Z"
            let start = { (session: String, party: String) in
                try await client.execute(
                    uri: "/v1/calls/\(session)/start",
                    method: .post,
                    headers: [.authorization: "Bearer \(platform)", .contentType: "application/json"],
                    body: ByteBuffer(
                        string:
                            #"{"requestNumber":1,"callType":"user_out",\#(party),"calleeNumber":"+12065550100","startTime":"\#(now)","callId":"\#(session)@proxy"}"#
                    )
                ) {
                    (response: TestResponse) in
                    (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:])
                }
            }
            let started = try await start("by-uri", #""callerUri":"sip:payg@tailspin.com""#)
            #expect(started.0 == .ok && started.1["allowed"] as? Bool == true && started.1["tenantId"] as? String == "tailspin", "\(started)")
            let unknown = try await start("unknown", #""callerUri":"sip:nobody@tailspin.com""#)
            #expect(unknown.0 == .notFound && unknown.1["code"] as? String == "unknownNumber", "\(unknown)")
            let ended = try await client.execute(
                uri: "/v1/tenants/tailspin/calls/by-uri/end",
                method: .post,
                headers: [.authorization: "Bearer \(platform)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"requestNumber":2,"durationSeconds":0,"endTime":"\#(now)"}"#)
            ) {
                (response: TestResponse) in response.status
            }
            #expect(ended == .ok)
            let records =
                try await api.send(client, .get, "/v1/tenants/tailspin/usage-records?from=2027-03-01&to=2027-03-02", expect: .ok)["records"]
                as? [[String: Any]]
            #expect(
                records?.first?["callerNumber"] as? String == "+14255550142" && records?.first?["upn"] as? String == "payg@tailspin.com",
                "the record shows the user and the number the directory gave: \(records ?? [])"
            )
        }
    }

    @Test("Past the bound on requests in progress, a start is answered 503 overloaded with Retry-After, and nothing of it is written")
    func overloadedStartsWriteNothing() async throws {
        try await TestServer.run(testClock: true, settings: ["calls.maximumInProgress": .init(.int(1), isSecret: false)]) { client, database in
            try await api.putSampleDeck(client)
            try await api.tailspin(client)
            let now = try await api.send(client, .get, "/v1/test-clock", expect: .ok)["now"] as! String
            let token = try await database.token([.calls], tenant: "tailspin")
            let port = try #require(client.port)
            // Each start on a connection of its own, so that they arrive together.
            let answers = try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status, String?, String?).self) { group in
                for index in 0..<48 {
                    group.addTask {
                        let connection = TestClient(host: "localhost", port: port)
                        connection.connect()
                        let response = try await connection.execute(
                            TestClient.Request(
                                "/v1/tenants/tailspin/calls/burst\(index)/start",
                                method: .post,
                                headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                                body: ByteBuffer(
                                    string: """
                                        {"requestNumber":1,"callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+12065550100","startTime":"\(now)"}
                                        """
                                )
                            )
                        )
                        try await connection.shutdown()
                        let body = response.body.map { Data(buffer: $0) } ?? Data()
                        let code = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["code"] as? String
                        return (index, response.status, code, response.headers[.retryAfter])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let overloaded = answers.filter { $0.1 == .serviceUnavailable }
            #expect(answers.allSatisfy { $0.1 == .ok || ($0.1 == .serviceUnavailable && $0.2 == "overloaded" && $0.3 == "1") })
            #expect(!overloaded.isEmpty, "48 starts at once with room for one")
            for (index, _, _, _) in overloaded.prefix(5) {
                let end = try await api.send(
                    client,
                    .post,
                    "/v1/tenants/tailspin/calls/burst\(index)/end",
                    #"{"requestNumber":2,"durationSeconds":10,"endTime":"\#(now)"}"#,
                    expect: .notFound
                )
                #expect(end["code"] as? String == "unknownSession", "a refused start leaves no session")
            }
            let held = try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)["heldMinor"] as? Int
            #expect(held == (answers.count - overloaded.count) * 10, "one 10-cent hold (600 s at 1 cent a minute) for each admitted start only")
        }
    }

    @Test("Refusals and repeats over HTTP: bad deck lines, unknown numbers, bad bodies, unknown sessions, a silent call timing out, uploads")
    func refusalsAndRepeats() async throws {
        try await api.withServer(testClock: true) { client in
            let badDeck =
                "prefix,destination,numberType,rateMicrosPerMinute,connectionFeeMicros,firstIncrementSeconds,nextIncrementSeconds,effectiveFrom\n44,UK,fixed,x,0,60,60,2026-01-01\n"
            let refused = try await client.execute(
                uri: "/v1/rate-decks/USD",
                method: .put,
                headers: [.contentType: "text/csv"],
                body: ByteBuffer(string: badDeck)
            ) { response in
                #expect(response.status == .unprocessableContent)
                return String(buffer: response.body)
            }
            #expect(refused.contains("\"line\":2"))
            try await api.send(client, .get, "/v1/rate-decks/USD/lookup?number=%2B447700900123", expect: .notFound)
            try await api.putSampleDeck(client)
            let mobile = try await api.send(client, .get, "/v1/rate-decks/USD/lookup?number=%2B447700900123&date=2026-06-01", expect: .ok)
            #expect(
                mobile["numberType"] as? String == "mobile" && mobile["rateMicrosPerMinute"] as? Int == 50_000 && mobile["country"] as? String == "GB"
            )
            #expect(
                try await api.send(client, .get, "/v1/rate-decks/USD/lookup?number=%2B447700900123&date=2027-02-01", expect: .ok)[
                    "rateMicrosPerMinute"
                ] as? Int == 45_000
            )
            #expect(
                try await api.send(client, .get, "/v1/rate-decks/USD/lookup?number=%2B8081234", expect: .notFound)["code"] as? String
                    == "unknownDestination"
            )
            #expect(
                try await api.send(client, .get, "/v1/rate-decks/USD/lookup?number=4477", expect: .unprocessableContent)["code"] as? String
                    == "invalidNumber"
            )
            #expect(
                try await api.send(client, .get, "/v1/rate-decks/XYZ/lookup?number=%2B44", expect: .unprocessableContent)["code"] as? String
                    == "invalidCurrency"
            )

            try await api.tailspin(client)
            try await api.advance(client, to: "2027-03-01T08:00:00Z")
            let start =
                #"{"requestNumber":1,"callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+8081234","startTime":"2027-03-01T08:00:00Z"}"#
            let unknown = try await api.send(client, .post, "/v1/tenants/tailspin/calls/x1/start", start, expect: .ok)
            #expect(unknown["allowed"] as? Bool == false && unknown["reason"] as? String == "unknownDestination" && unknown["detail"] != nil)
            #expect(
                try await api.send(client, .post, "/v1/tenants/tailspin/calls/x2/start", #"{"requestNumber":1}"#, expect: .badRequest)["code"] != nil
            )
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/tailspin/calls/x3/start",
                    start.replacingOccurrences(of: "user_out", with: "user_sideways"),
                    expect: .unprocessableContent
                )["code"] as? String == "invalidCallType"
            )
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/tailspin/calls/nobody/end",
                    #"{"requestNumber":2,"durationSeconds":5,"endTime":"2027-03-01T08:00:05Z"}"#,
                    expect: .notFound
                )["code"] as? String == "unknownSession"
            )
            #expect(
                try await api.send(client, .post, "/v1/tenants/nobody/calls/x4/start", start, expect: .notFound)["code"] as? String == "unknownTenant"
            )

            // A call whose platform goes silent: charged for the 600 s granted once the clock passes twice that.
            let quiet = start.replacingOccurrences(of: "+8081234", with: "+12065550100")
            #expect(try await api.send(client, .post, "/v1/tenants/tailspin/calls/quiet/start", quiet, expect: .ok)["grantedSeconds"] as? Int == 600)
            #expect(
                try await api.send(client, .post, "/v1/tenants/tailspin/calls/quiet/start", quiet, expect: .ok)["grantedSeconds"] as? Int == 600,
                "a repeat"
            )
            try await api.advance(client, to: "2027-03-01T08:20:00Z")
            #expect(try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)["balanceMinor"] as? Int == 4990)
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/tailspin/calls/quiet/update",
                    #"{"requestNumber":2,"usedSeconds":700}"#,
                    expect: .conflict
                )["code"] as? String == "sessionClosed"
            )
            // Its end arrives late, within the hour: it replaces the time-out's charge, once.
            let lateEnd = #"{"requestNumber":2,"durationSeconds":90,"endTime":"2027-03-01T08:01:30Z"}"#
            let corrected = try await api.send(client, .post, "/v1/tenants/tailspin/calls/quiet/end", lateEnd, expect: .ok)
            #expect(
                corrected["chargeMinor"] as? Int == 2 && corrected["replacedChargeMinor"] as? Int == 10 && corrected["durationSeconds"] as? Int == 90
            )
            #expect(
                try await api.send(client, .post, "/v1/tenants/tailspin/calls/quiet/end", lateEnd, expect: .ok)["chargeMinor"] as? Int == 2,
                "a repeat"
            )
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/tailspin/calls/quiet/end",
                    #"{"requestNumber":3,"durationSeconds":30,"endTime":"2027-03-01T08:00:30Z"}"#,
                    expect: .conflict
                )["code"] as? String == "sessionClosed"
            )
            #expect(try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)["balanceMinor"] as? Int == 4998)
            #expect(
                try await api.send(client, .post, "/v1/test-clock/advance", #"{"to":"2027-01-01T00:00:00Z"}"#, expect: .conflict)["code"] as? String
                    == "clockCannotGoBack"
            )

            let upload =
                #"{"records":[{"usageId":"u1","callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+447700900123","startTime":"2027-03-01T09:00:00Z","durationSeconds":61},{"usageId":"u1","callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+447700900123","startTime":"2027-03-01T09:00:00Z","durationSeconds":61},{"usageId":"u2","callType":"user_out","callerNumber":"nope","calleeNumber":"+447700900123","startTime":"2027-03-01T09:00:00Z","durationSeconds":61}]}"#
            let results =
                try await api.send(client, .post, "/v1/tenants/tailspin/usage-records", upload, expect: .ok)["results"] as? [[String: Any]] ?? []
            #expect(results.map { $0["status"] as? String } == ["charged", "duplicate", "refused"])
            #expect(results.first?["chargeMinor"] as? Int == 9, "120 s at the 2027 price of 4.5 cents a minute")
            #expect(results.last?["code"] as? String == "invalidNumber")

            // Free text within bounds: an administrative unit of 1,025 characters is refused, 1,024 taken.
            func record(_ id: String, units: Int) -> String {
                #"{"usageId":"\#(id)","callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+447700900123","startTime":"2027-03-01T09:30:00Z","durationSeconds":5,"administrativeUnits":"\#(String(repeating: "a", count: units))"}"#
            }
            let long =
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/tailspin/usage-records",
                    #"{"records":[\#(record("long", units: 1_025)),\#(record("fits", units: 1_024))]}"#,
                    expect: .ok
                )["results"] as? [[String: Any]] ?? []
            #expect(long.map { $0["status"] as? String } == ["refused", "charged"])
            #expect(long.first?["code"] as? String == "invalidAdministrativeUnits")
        }
    }

    @Test("A lot that expires while a call holds part of it shows what the call still holds as its remaining, as a live lot does")
    func remainingOfAnExpiredLotWithAHold() async throws {
        try await api.withServer(testClock: true) { client in
            try await api.putSampleDeck(client)
            try await api.advance(client, to: "2027-03-01T08:00:00Z")
            try await api.tailspin(client)
            let lot = try #require((try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)["lots"] as? [[String: Any]])?.first)
            let expiresAt = try #require(ISO8601.parse(lot["expiresAt"] as? String ?? ""))
            try await api.advance(client, to: ISO8601.format(expiresAt.adding(seconds: -60)))
            let start =
                #"{"requestNumber":1,"callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+4930123456","startTime":"\#(ISO8601.format(expiresAt.adding(seconds: -60)))"}"#
            #expect(try await api.send(client, .post, "/v1/tenants/tailspin/calls/late/start", start, expect: .ok)["allowed"] as? Bool == true)
            let live = try #require(
                (try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)["lots"] as? [[String: Any]])?.first
            )
            let held = try #require(live["heldMinor"] as? Int)
            #expect(held > 0 && live["remainingMinor"] as? Int == 5000, "a live lot's remaining includes what is held")
            try await api.advance(client, to: ISO8601.format(expiresAt.adding(seconds: 10)))
            let expired = try #require(
                (try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)["lots"] as? [[String: Any]])?.first
            )
            #expect(expired["expired"] as? Bool == true && expired["heldMinor"] as? Int == held)
            #expect(expired["remainingMinor"] as? Int == held, "an expired lot's remaining is what the call still holds: \(expired)")
        }
    }

    @Test("A silent call's time-out inside one long advance is charged at its own instant, and the recharge it starts is dated then")
    func timeOutsInsideAJumpFallAtTheirInstant() async throws {
        try await api.withServer(testClock: true) { client in
            try await api.putSampleDeck(client)
            try await api.advance(client, to: "2027-03-01T08:00:00Z")
            try await api.tailspin(client)
            try await api.send(
                client,
                .put,
                "/v1/tenants/tailspin/credits/auto-recharge",
                #"{"enabled":true,"rechargeAmountMinor":1000,"triggerAmountMinor":4990}"#,
                expect: .ok
            )
            let start =
                #"{"requestNumber":1,"callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+4930123456","startTime":"2027-03-01T08:00:00Z"}"#
            let answer = try await api.send(client, .post, "/v1/tenants/tailspin/calls/silent/start", start, expect: .ok)
            #expect(answer["grantedSeconds"] as? Int == 600)
            // Silent: the deadline is twice the grant after the start, 08:20; the jump goes two days on.
            try await api.advance(client, to: "2027-03-03T08:00:00Z")
            let lots = try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)["lots"] as? [[String: Any]] ?? []
            #expect(
                lots.count == 2 && lots.last?["purchasedAt"] as? String == "2027-03-01T08:20:00Z",
                "the recharge the time-out started is dated at the time-out: \(lots)"
            )
            let records = try await api.send(client, .get, "/v1/tenants/tailspin/usage-records?from=2027-03-01&to=2027-03-04", expect: .ok)
            let record = (records["records"] as? [[String: Any]])?.first { $0["usageId"] as? String == "silent" }
            #expect(record?["sourceOfCallDuration"] as? String == "timeout" && record?["endTime"] as? String == "2027-03-01T08:10:00Z")
        }
    }
}
