import Configuration
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// What an attacker holding some tenant's credential, or none, tried against the service
/// (issue: one tenant's credential must never crash the service or touch another tenant).
@Suite("Hostile input and hostile callers")
struct SecurityTests {
    let api = TestAPI()

    /// Extreme and random 64-bit numbers, seeded so that a failure replays.
    struct Numbers {
        var state: UInt64
        static let extremes: [Int64] = [
            .max, .min, .max - 1, .min + 1, 1 << 62, -(1 << 62), 1 << 53, 9_007_199_254_740_993, -1, 0,
            604_801, 1_001, 100_000_001, 1_000_000_000_001,
        ]

        mutating func next() -> Int64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let shift = Int64(state >> 58)
            return Int64(bitPattern: state) >> shift
        }
    }

    @Test("Extreme and random numbers in every call, usage, purchase and rate field: a 4xx or a refused record, never a crash, nothing charged")
    func extremeNumbersAreRefused() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await api.putSampleDeck(client)
            try await api.tailspin(client)
            try await api.send(client, .post, "/v1/test-clock/advance", #"{"to":"2027-03-01T08:00:00Z"}"#, expect: .ok)
            let before = try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)["balanceMinor"] as? Int
            let start =
                #"{"requestNumber":1,"callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+4930123456","startTime":"2027-03-01T08:00:00Z"}"#
            #expect(try await api.send(client, .post, "/v1/tenants/tailspin/calls/x1/start", start, expect: .ok)["allowed"] as? Bool == true)
            var numbers = Numbers(state: 20)
            let values = Numbers.extremes + (0..<40).map { _ in numbers.next() }
            for (index, value) in values.enumerated() where !(0...604_800).contains(value) {
                let update = try await client.execute(
                    uri: "/v1/tenants/tailspin/calls/x1/update",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"requestNumber":\#(index + 2),"usedSeconds":\#(value)}"#)
                ) { $0.status }
                #expect(update == .unprocessableContent || update == .badRequest, "usedSeconds \(value): \(update)")
                let end = try await client.execute(
                    uri: "/v1/tenants/tailspin/calls/x1/end",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"requestNumber":\#(index + 2),"durationSeconds":\#(value),"endTime":"2027-03-01T08:10:00Z"}"#)
                ) { $0.status }
                #expect(end == .unprocessableContent || end == .badRequest, "durationSeconds \(value): \(end)")
            }
            for value in values where !(0...1_000).contains(value) {
                let sms =
                    #"{"records":[{"usageId":"sms-\#(value)","callType":"sms_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+4930123456","startTime":"2027-03-01T08:00:00Z","durationSeconds":0,"messageUnits":\#(value)}]}"#
                let results =
                    try await api.send(client, .post, "/v1/tenants/tailspin/usage-records", sms, expect: .ok)["results"] as? [[String: Any]] ?? []
                #expect(results.count == 1 && results.first?["code"] as? String == "invalidMessageUnits", "messageUnits \(value): \(results)")
            }
            for value in values where !(0...604_800).contains(value) {
                let call =
                    #"{"usageId":"call-\#(value)","callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+4930123456","startTime":"2027-03-01T08:00:00Z","durationSeconds":\#(value)}"#
                let results =
                    try await api.send(client, .post, "/v1/tenants/tailspin/usage-records", #"{"records":[\#(call)]}"#, expect: .ok)["results"]
                    as? [[String: Any]] ?? []
                #expect(results.count == 1 && results.first?["code"] as? String == "invalidDurationSeconds", "durationSeconds \(value): \(results)")
            }
            // One record out of bounds is refused alone; the one beside it is charged.
            let mixed =
                #"{"records":[{"usageId":"bad","callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+4930123456","startTime":"2027-03-01T08:00:00Z","durationSeconds":-1},{"usageId":"good","callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+4930123456","startTime":"2027-03-01T08:00:00Z","durationSeconds":60}]}"#
            let mixedResults =
                try await api.send(client, .post, "/v1/tenants/tailspin/usage-records", mixed, expect: .ok)["results"] as? [[String: Any]] ?? []
            #expect(mixedResults.map { $0["status"] as? String } == ["refused", "charged"], "\(mixedResults)")
            let charged = mixedResults.last?["chargeMinor"] as? Int ?? 0
            let accented =
                #"{"records":[{"usageId":"caf\#u{E9}","callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+4930123456","startTime":"2027-03-01T08:00:00Z","durationSeconds":60}]}"#
            let accentedResults =
                try await api.send(client, .post, "/v1/tenants/tailspin/usage-records", accented, expect: .ok)["results"] as? [[String: Any]]
            #expect(accentedResults?.first?["code"] as? String == "invalidSessionId", "an id Unicode could spell two ways is refused")
            for value in values where !(100...10_000_000).contains(value) {
                let purchase =
                    #"{"amountMinor":\#(value),"paymentMethod":{"type":"card","token":"tok_visa"},"autoRecharge":{"enabled":true,"rechargeAmountMinor":\#(value),"triggerAmountMinor":\#(value)}}"#
                try await api.send(client, .post, "/v1/tenants/tailspin/credits/purchases", purchase, key: "p\(value)", expect: .unprocessableContent)
                try await api.send(
                    client,
                    .put,
                    "/v1/tenants/tailspin/credits/auto-recharge",
                    #"{"enabled":true,"rechargeAmountMinor":\#(value),"triggerAmountMinor":100}"#,
                    expect: .unprocessableContent
                )
            }
            for value in values where !(0...Rate.maximumMicros).contains(value) {
                let deck =
                    "prefix,destination,numberType,rateMicrosPerMinute,connectionFeeMicros,firstIncrementSeconds,nextIncrementSeconds,effectiveFrom\n"
                    + "+99,Test,fixed,\(value),\(value),\(value),\(value),2027-01-01\n"
                let status = try await client.execute(
                    uri: "/v1/rate-decks/USD",
                    method: .put,
                    headers: [.contentType: "text/csv"],
                    body: ByteBuffer(string: deck)
                ) { $0.status }
                #expect(status == .unprocessableContent, "rate \(value)")
            }
            #expect(try await client.execute(uri: "/health/live", method: .get) { $0.status } == .ok, "the process still answers")
            let after = try await api.send(client, .get, "/v1/tenants/tailspin/credits", expect: .ok)
            #expect((after["balanceMinor"] as? Int).map { $0 + charged } == before, "nothing charged but the good record, nothing bought")
            let records = try await api.send(client, .get, "/v1/tenants/tailspin/usage-records?from=2027-03-01&to=2027-03-02", expect: .ok)
            #expect((records["records"] as? [[String: Any]])?.map { $0["usageId"] as? String } == ["good"], "nothing else written")
        }
    }

    @Test("Forty sign-ins at once for one name, the right password among them: five are checked, the others refused before any bcrypt work")
    func concurrentSignInsMeetTheLimit() async throws {
        try await TestServer.run { client, database in
            let anonymous = (client as! AuthorizedClient).client
            _ = try await TwoTenants.make(client, database)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for attempt in 0..<40 {
                    let password = attempt == 39 ? TwoTenants.password : "a wrong guess \(attempt)"
                    group.addTask {
                        try await anonymous.execute(
                            uri: "/v1/sessions",
                            method: .post,
                            headers: [.contentType: "application/json"],
                            body: ByteBuffer(string: #"{"upn":"global@northwind.example","password":"\#(password)"}"#)
                        ) {
                            Int($0.status.code)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 429 }.count >= 35, "\(statuses.sorted())")
            #expect(statuses.filter { $0 != 429 }.count <= SignInFailures.allowedPerName)
        }
    }

    @Test("A User Administrator can neither make a Global Administrator nor set one's password; a password change ends the user's sessions")
    func noRightsBeyondOnesOwn() async throws {
        try await TestServer.run { client, database in
            let anonymous = (client as! AuthorizedClient).client
            let world = try await TwoTenants.make(client, database)
            let userAdmin = try await world.signIn(anonymous, client, role: .userAdministrator)
            let global = try await world.session(anonymous, upn: "global@northwind.example")
            let made = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/tenants/northwind/users",
                #"{"upn":"mallory@northwind.example","displayName":"M","usageLocation":"US","roles":["globalAdministrator"]}"#,
                userAdmin
            )
            #expect(made.status == 403 && made.code == "grantBeyondOwnRights", "\(made)")
            let imported = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/tenants/northwind/users/import",
                "upn,displayName,usageLocation,roles\nmallory@northwind.example,M,US,Billing Administrator\n",
                userAdmin
            )
            #expect(imported.status == 403 && imported.code == "grantBeyondOwnRights", "\(imported)")
            let reset = try await TestAPI.call(
                anonymous,
                .put,
                "/v1/tenants/northwind/users/global@northwind.example/password",
                #"{"password":"mallory's new password"}"#,
                userAdmin
            )
            #expect(reset.status == 403 && reset.code == "grantBeyondOwnRights")
            let own = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/tenants/northwind/users",
                #"{"upn":"helper@northwind.example","displayName":"H","usageLocation":"US","roles":["licenseAdministrator"]}"#,
                userAdmin
            )
            #expect(own.status == 201, "a role within the User Administrator's own rights: \(own)")
            let token = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/tenants/northwind/tokens",
                #"{"scopes":["billing"]}"#,
                [.authorization: "Bearer \(try await database.token([.tenantAdmin], tenant: "northwind"))"]
            )
            #expect(token.status == 403 && token.code == "grantBeyondOwnRights", "a tenant.admin token cannot make a billing token")

            #expect(try await TestAPI.call(anonymous, .get, "/v1/tenants/northwind/credits", nil, global).status == 200)
            try await api.send(
                client,
                .put,
                "/v1/tenants/northwind/users/global@northwind.example/password",
                #"{"password":"a brand new password"}"#,
                expect: .noContent
            )
            #expect(
                try await TestAPI.call(anonymous, .get, "/v1/tenants/northwind/credits", nil, global).code == "unauthenticated",
                "the old session ended with the reset"
            )
        }
    }

    @Test("Sign-in names are unique per tenant: two tenants may each have one; the password decides, or the organization when both match")
    func signInNamesPerTenant() async throws {
        try await TestServer.run { client, _ in
            let anonymous = (client as! AuthorizedClient).client
            for (tenant, password) in [("northwind", "northwind's own password"), ("fabrikam", "fabrikam's own password")] {
                try await api.createTenant(client, id: tenant)
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/\(tenant)/users",
                    #"{"upn":"ann@shared.example","displayName":"Ann","usageLocation":"US","roles":["globalAdministrator"]}"#,
                    expect: .created
                )
                try await api.send(
                    client,
                    .put,
                    "/v1/tenants/\(tenant)/users/ann@shared.example/password",
                    #"{"password":"\#(password)"}"#,
                    expect: .noContent
                )
            }
            func signIn(_ body: String) async throws -> TestAPI.Answer {
                try await TestAPI.call(anonymous, .post, "/v1/sessions", body, [:])
            }
            #expect(try await signIn(#"{"upn":"ann@shared.example","password":"fabrikam's own password"}"#).body["tenantId"] as? String == "fabrikam")
            #expect(
                try await signIn(#"{"upn":"ann@shared.example","password":"northwind's own password"}"#).body["tenantId"] as? String == "northwind"
            )
            try await api.send(
                client,
                .put,
                "/v1/tenants/fabrikam/users/ann@shared.example/password",
                #"{"password":"northwind's own password"}"#,
                expect: .noContent
            )
            let both = try await signIn(#"{"upn":"ann@shared.example","password":"northwind's own password"}"#)
            #expect(both.status == 409 && both.code == "organizationRequired")
            let chosen = try await signIn(#"{"upn":"ann@shared.example","password":"northwind's own password","tenantId":"fabrikam"}"#)
            #expect(chosen.status == 201 && chosen.body["tenantId"] as? String == "fabrikam")
        }
    }

    @Test("Without a working credential: a 15 MiB sign-in is refused unread, unknown tokens meet a per-address limit, and 413 names no internals")
    func anonymousCallersAreBounded() async throws {
        let limits: [AbsoluteConfigKey: ConfigValue] = [
            "limits.anonymousBurst": .init(.double(20), isSecret: false),
            "limits.anonymousPerSecond": .init(.double(0.1), isSecret: false),
        ]
        try await TestServer.run(settings: limits) { client, _ in
            let anonymous = (client as! AuthorizedClient).client
            let huge = #"{"upn":"a@b.example","password":""# + String(repeating: "x", count: 15 << 20) + #""}"#
            let tooLarge = try await TestAPI.call(anonymous, .post, "/v1/sessions", huge, [:])
            #expect(tooLarge.status == 413 && tooLarge.code == "bodyTooLarge")
            #expect((tooLarge.body["detail"] as? String)?.contains("NIO") == false, "\(tooLarge.body)")
            let keyed = try await TestAPI.call(
                client,
                .post,
                "/v1/tenants",
                String(repeating: " ", count: 17 << 20),
                [.init("Idempotency-Key")!: "big"]
            )
            #expect(keyed.status == 413 && keyed.code == "bodyTooLarge" && (keyed.detail ?? "").contains("NIO") == false, "\(keyed)")
            try await api.send(client, .get, "/v1/tenants", expect: .ok)
            var statuses: [Int] = []
            for attempt in 0..<25 {
                statuses.append(
                    try await TestAPI.call(anonymous, .get, "/v1/tenants", nil, [.authorization: "Bearer cc_guess\(attempt)"]).status
                )
            }
            #expect(statuses.prefix(19).allSatisfy { $0 == 401 } && statuses.suffix(5).allSatisfy { $0 == 429 }, "\(statuses)")
            #expect(
                try await TestAPI.call(anonymous, .get, "/v1/tenants", nil, [.authorization: "Bearer cc_guess"]).status == 429,
                "an address that used up its tries is answered before any token is looked up"
            )
            #expect(try await api.send(client, .get, "/v1/tenants", expect: .ok).isEmpty == false, "a working credential it knows goes on")
        }
    }

    @Test("An expired token stops working; a token's life is 1 to 365 days")
    func tokensExpire() async throws {
        try await TestServer.run { client, database in
            let anonymous = (client as! AuthorizedClient).client
            try await api.createTenant(client, id: "northwind")
            let stores = try await DatabaseLocation(database.argument).openStores()
            let past = SystemClock().now().adding(seconds: -10)
            let expired = AccessToken(
                id: "tok_old",
                name: "old",
                tenantId: TenantId("northwind"),
                scopes: [.reports],
                createdAt: past.adding(days: -90),
                expiresAt: past
            )
            try await stores.access.createToken(expired, secretHash: Digest.sha256Hex(Array("cc_expired-secret".utf8)))
            #expect(
                try await TestAPI.call(
                    anonymous,
                    .get,
                    "/v1/tenants/northwind/credits",
                    nil,
                    [.authorization: "Bearer cc_expired-secret"]
                ).code == "unauthenticated"
            )
            for days in [0, 366, -5] {
                let refused = try await api.send(
                    client,
                    .post,
                    "/v1/tenants/northwind/tokens",
                    #"{"scopes":["reports"],"expiresInDays":\#(days)}"#,
                    expect: .unprocessableContent
                )
                #expect(refused["code"] as? String == "invalidExpiresInDays")
            }
            let made = try await api.send(
                client,
                .post,
                "/v1/tenants/northwind/tokens",
                #"{"scopes":["reports"],"expiresInDays":7}"#,
                expect: .created
            )
            let expiresAt = try #require(ISO8601.parse(made["expiresAt"] as? String ?? ""))
            let offset = expiresAt.millisecondsSinceEpoch - SystemClock().now().adding(days: 7).millisecondsSinceEpoch
            #expect(abs(offset) < 120_000, "seven days from now")
        }
    }

    @Test("Admin pages: security headers, a sign-in form that needs its own token, and no banner text taken from the address")
    func adminPages() async throws {
        try await TestServer.run { client, database in
            let anonymous = (client as! AuthorizedClient).client
            let world = try await TwoTenants.make(client, database)
            let form = try await anonymous.execute(uri: "/admin/sign-in", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(response.headers[.init("X-Frame-Options")!] == "DENY" && response.headers[.init("X-Content-Type-Options")!] == "nosniff")
                return (String(buffer: response.body), String((response.headers[.setCookie] ?? "").prefix { $0 != ";" }))
            }
            let token = try #require(form.0.range(of: #"name="formToken" value=""#).map { String(form.0[$0.upperBound...].prefix { $0 != "\"" }) })
            let credentials = "upn=global%40northwind.example&password=\(TwoTenants.password.replacingOccurrences(of: " ", with: "+"))"
            let forged = try await anonymous.execute(
                uri: "/admin/sign-in",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: credentials)
            ) { $0.status }
            #expect(forged == .forbidden, "a form posted from elsewhere, without the token")
            let signedIn = try await anonymous.execute(
                uri: "/admin/sign-in",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: form.1],
                body: ByteBuffer(string: credentials + "&formToken=\(token)")
            ) { $0.status }
            #expect(signedIn == .seeOther || signedIn == .found, "\(signedIn)")

            let session = try await world.session(anonymous, upn: "global@northwind.example")
            let page = try await anonymous.execute(
                uri: "/admin/users?done=Your+account+is+locked%2C+call+%2B1-555-0100",
                method: .get,
                headers: [.cookie: session[.cookie] ?? ""]
            ) { String(buffer: $0.body) }
            #expect(!page.contains("locked") && !page.contains("555-0100"), "the banner is not the address's text")
            let banner = try await anonymous.execute(
                uri: "/admin/users?assigned=MCOEV&count=3",
                method: .get,
                headers: [.cookie: session[.cookie] ?? ""]
            ) { String(buffer: $0.body) }
            #expect(banner.contains("Phone System assigned to 3 users."))
        }
    }
}
