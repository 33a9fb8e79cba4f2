import CreditsCore
import CreditsEngine
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// Who may call what: every route of the API with every kind of credential, including another
/// tenant's, through the real server.
@Suite("Authentication, authorization and tenant isolation")
struct AccessAPITests {
    /// What a route asks of its caller.
    enum Need: Equatable {
        case operatorOnly
        /// Anyone authenticated; tenant routes only within the caller's tenant.
        case anyCaller
        case permission(Permission)
    }

    struct Route: CustomStringConvertible {
        let method: HTTPRequest.Method
        /// As in the OpenAPI document.
        let template: String
        let need: Need
        var body: String = "{}"
        /// Appended to the path: "?name=value".
        var query: String = ""

        var tenantScoped: Bool { template.contains("{tenantId}") }

        /// The template with tenant `tenant`'s ids filled in.
        func path(tenant: String) -> String {
            template.replacingOccurrences(of: "{tenantId}", with: tenant).replacingOccurrences(of: "{upn}", with: "ann@\(tenant).example")
                .replacingOccurrences(of: "{sessionId}", with: "call-1").replacingOccurrences(of: "{currency}", with: "USD")
                .replacingOccurrences(of: "{invoiceId}", with: "1").replacingOccurrences(of: "{tokenId}", with: "tok_unknown")
                .replacingOccurrences(of: "{webhookId}", with: "whk_unknown").replacingOccurrences(of: "{number}", with: "+14255550100") + query
        }

        var description: String { "\(method) \(template)" }
    }

    /// Every route behind authentication. The routes that need none, and the session's own two,
    /// are tested on their own below.
    static let routes: [Route] = [
        Route(method: .post, template: "/v1/tenants/{tenantId}/tokens", need: .permission(.administerTenant), body: #"{"scopes":["calls"]}"#),
        Route(method: .get, template: "/v1/tenants/{tenantId}/tokens", need: .permission(.administerTenant)),
        Route(method: .delete, template: "/v1/tenants/{tenantId}/tokens/{tokenId}", need: .permission(.administerTenant)),
        Route(method: .put, template: "/v1/tenants/{tenantId}/users/{upn}/password", need: .permission(.manageUsers), body: #"{"password":"short"}"#),
        Route(method: .post, template: "/v1/tenants", need: .operatorOnly),
        Route(method: .get, template: "/v1/tenants", need: .anyCaller),
        Route(method: .get, template: "/v1/tenants/{tenantId}", need: .anyCaller),
        Route(method: .patch, template: "/v1/tenants/{tenantId}", need: .permission(.administerTenant)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/users", need: .permission(.manageUsers)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/users", need: .permission(.assignLicenses)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/users/import", need: .permission(.manageUsers), body: ""),
        Route(method: .get, template: "/v1/tenants/{tenantId}/users/{upn}", need: .permission(.assignLicenses)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/users/{upn}/licenses", need: .permission(.assignLicenses)),
        Route(
            method: .put,
            template: "/v1/tenants/{tenantId}/users/{upn}/administrative-units",
            need: .permission(.manageUsers),
            body: #"{"administrativeUnits":["Sales"]}"#
        ),
        Route(method: .get, template: "/v1/tenants/{tenantId}/numbers", need: .permission(.assignLicenses)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/numbers/import", need: .permission(.manageUsers), body: ""),
        Route(
            method: .put,
            template: "/v1/tenants/{tenantId}/numbers/{number}",
            need: .permission(.manageUsers),
            body: #"{"resourceAccount":"Queue"}"#
        ),
        Route(method: .delete, template: "/v1/tenants/{tenantId}/numbers/{number}", need: .permission(.manageUsers)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/credits", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/credits/eligibility", need: .permission(.buy)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/credits/purchases", need: .permission(.buy)),
        Route(method: .put, template: "/v1/tenants/{tenantId}/credits/auto-recharge", need: .permission(.buy)),
        Route(method: .put, template: "/v1/tenants/{tenantId}/credits/payment-method", need: .permission(.buy)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/credits/transactions", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/credits/recharges", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/credits/invoices", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/credits/invoices/{invoiceId}", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/credits/notifications", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/reports/pstn", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/reports/funding-advice", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/reports/refused-calls", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/call-controls/destination-rules", need: .permission(.readBilling)),
        Route(method: .put, template: "/v1/tenants/{tenantId}/call-controls/destination-rules", need: .permission(.buy)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/call-controls/changes", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/users/{upn}/destination-rules", need: .permission(.readBilling)),
        Route(method: .put, template: "/v1/tenants/{tenantId}/users/{upn}/destination-rules", need: .permission(.buy)),
        Route(method: .delete, template: "/v1/tenants/{tenantId}/users/{upn}/destination-rules", need: .permission(.buy)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/call-controls/spend-limits", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/call-controls/unit-spend-limits", need: .permission(.readBilling)),
        Route(
            method: .put,
            template: "/v1/tenants/{tenantId}/call-controls/unit-spend-limits",
            need: .permission(.buy),
            body: #"{"administrativeUnit":"Sales","monthlyLimitMinor":500}"#
        ),
        Route(
            method: .delete,
            template: "/v1/tenants/{tenantId}/call-controls/unit-spend-limits",
            need: .permission(.buy),
            query: "?administrativeUnit=Sales"
        ),
        Route(method: .get, template: "/v1/tenants/{tenantId}/call-controls/recharge-cap", need: .permission(.readBilling)),
        Route(
            method: .put,
            template: "/v1/tenants/{tenantId}/call-controls/recharge-cap",
            need: .permission(.buy),
            body: #"{"monthlyCapMinor":500}"#
        ),
        Route(method: .delete, template: "/v1/tenants/{tenantId}/call-controls/recharge-cap", need: .permission(.buy)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/call-controls/velocity-alarm", need: .permission(.readBilling)),
        Route(
            method: .put,
            template: "/v1/tenants/{tenantId}/call-controls/velocity-alarm",
            need: .permission(.buy),
            body: #"{"hourlyAmountMinor":500}"#
        ),
        Route(method: .delete, template: "/v1/tenants/{tenantId}/call-controls/velocity-alarm", need: .permission(.buy)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/call-controls/velocity-alarm/resume", need: .permission(.buy)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/users/{upn}/spend-limit", need: .permission(.readBilling)),
        Route(method: .put, template: "/v1/tenants/{tenantId}/users/{upn}/spend-limit", need: .permission(.buy), body: #"{"monthlyLimitMinor":500}"#),
        Route(method: .delete, template: "/v1/tenants/{tenantId}/users/{upn}/spend-limit", need: .permission(.buy)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/call-controls/user-controls/import", need: .permission(.buy), body: ""),
        Route(
            method: .post,
            template: "/v1/tenants/{tenantId}/webhooks",
            need: .permission(.administerTenant),
            body: #"{"url":"https://hooks.example.com/credits"}"#
        ),
        Route(method: .get, template: "/v1/tenants/{tenantId}/webhooks", need: .permission(.administerTenant)),
        Route(method: .delete, template: "/v1/tenants/{tenantId}/webhooks/{webhookId}", need: .permission(.administerTenant)),
        Route(method: .put, template: "/v1/rate-decks/{currency}", need: .operatorOnly, body: ""),
        Route(method: .get, template: "/v1/rate-decks/{currency}", need: .anyCaller),
        Route(method: .get, template: "/v1/rate-decks/{currency}/lookup", need: .anyCaller),
        Route(method: .post, template: "/v1/tenants/{tenantId}/calls/{sessionId}/start", need: .permission(.chargeCalls)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/calls/{sessionId}/answer", need: .permission(.chargeCalls)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/calls/{sessionId}/update", need: .permission(.chargeCalls)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/calls/{sessionId}/cancel", need: .permission(.chargeCalls)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/calls/{sessionId}/end", need: .permission(.chargeCalls)),
        Route(method: .post, template: "/v1/tenants/{tenantId}/usage-records", need: .permission(.uploadUsage)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/usage-records", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/pools", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/tenants/{tenantId}/post-usage/invoices", need: .permission(.readBilling)),
        Route(method: .get, template: "/v1/test-clock", need: .anyCaller),
        Route(method: .post, template: "/v1/test-clock/advance", need: .operatorOnly),
    ]

    /// Needing no credential, or a session in particular.
    static let routesTestedAlone: Set<String> = [
        "GET /health/live", "GET /health/ready", "GET /metrics", "GET /openapi.yaml", "GET /docs/api",
        "POST /v1/sessions", "GET /v1/sessions/current", "DELETE /v1/sessions/current",
        // The tenant comes from the directory, not the path: tested with the calls.
        "POST /v1/calls/{sessionId}/start",
    ]

    @Test("The table above covers every operation of the OpenAPI document")
    func tableCoversTheDocument() throws {
        let documented = try OpenAPIOperations.inDocument()
        let tested = Set(Self.routes.map(\.description)).union(Self.routesTestedAlone)
        #expect(documented == tested, "untested: \(documented.subtracting(tested)); not in the document: \(tested.subtracting(documented))")
    }

    @Test(
        "Every route: 401 without a credential or with a bad or revoked one; another tenant's token or administrator gets 404; a missing scope 403; the right scope passes"
    )
    func everyRouteWithEveryCredential() async throws {
        try await TestServer.run(testClock: true) { client, database in
            let anonymous = (client as! AuthorizedClient).client
            let world = try await TwoTenants.make(client, database)
            let revoked = try await database.token(Set(TestAPI.tenantScopes), tenant: "northwind")
            let revokedId = try await database.access().tokens(of: TenantId("northwind")).first { _ in true }!.id
            _ = try await database.access().revokeToken(revokedId, of: nil)

            for route in Self.routes {
                let path = route.path(tenant: "northwind")
                let call = { (headers: HTTPFields) in try await TestAPI.call(anonymous, route.method, path, route.body, headers) }

                #expect(try await call([:]).code == "unauthenticated", "\(route) without a credential")
                #expect(try await call([.authorization: "Bearer cc_not-a-token"]).code == "unauthenticated", "\(route) with a made-up token")
                #expect(try await call([.authorization: "Basic bm86cGFzc3dvcmQ="]).code == "unauthenticated", "\(route) with a password")
                #expect(try await call([.authorization: "Bearer \(revoked)"]).code == "unauthenticated", "\(route) with a revoked token")

                // Fabrikam's token with every scope, and Fabrikam's Global Administrator.
                let outsider = try await call([.authorization: "Bearer \(world.fabrikamToken)"])
                let outsiderSession = try await call(world.fabrikamSession)
                switch route.need {
                case .operatorOnly:
                    #expect(outsider.status == 403 && outsider.code == "forbidden", "\(route) for another tenant's token: \(outsider)")
                    #expect(outsiderSession.status == 403, "\(route) for another tenant's administrator: \(outsiderSession)")
                case .anyCaller where !route.tenantScoped:
                    #expect(outsider.status < 400 || outsider.code == "unknownRateDeck" || outsider.code == "invalidRequest", "\(route): \(outsider)")
                default:
                    #expect(outsider.status == 404 && outsider.code == "unknownTenant", "\(route) for another tenant's token: \(outsider)")
                    #expect(
                        outsiderSession.status == 404 && outsiderSession.code == "unknownTenant",
                        "\(route) for another tenant's administrator: \(outsiderSession)"
                    )
                }

                guard case let .permission(permission) = route.need else { continue }
                let granting = Set(TestAPI.tenantScopes.filter { $0.permissions.contains(permission) })
                let lacking = Set(TestAPI.tenantScopes).subtracting(granting)
                let without = try await database.token(lacking, tenant: "northwind")
                let refused = try await call([.authorization: "Bearer \(without)"])
                #expect(refused.status == 403 && refused.code == "forbidden", "\(route) with \(lacking.sorted()): \(refused)")
                for scope in granting {
                    let with = try await database.token([scope], tenant: "northwind")
                    let passed = try await call([.authorization: "Bearer \(with)"])
                    #expect(![401, 403].contains(passed.status) && passed.code != "unknownTenant", "\(route) with \(scope): \(passed)")
                }
            }
        }
    }

    @Test("Roles (DOMAIN.md section 3): who may buy, assign licenses, read the balance; a user with none of these roles cannot sign in")
    func rolesDecide() async throws {
        try await TestServer.run { client, database in
            let anonymous = (client as! AuthorizedClient).client
            let world = try await TwoTenants.make(client, database)
            let checks: [(Role, buy: Bool, licenses: Bool, read: Bool)] = [
                (.globalAdministrator, true, true, true), (.companyAdministrator, true, true, true),
                (.billingAdministrator, true, false, true), (.licenseAdministrator, false, true, true),
                (.userAdministrator, false, true, true), (.teamsAdministrator, false, false, true),
                (.teamsCommunicationsAdministrator, false, false, true),
            ]
            for (role, buy, licenses, read) in checks {
                let session = try await world.signIn(anonymous, client, role: role)
                let eligibility = try await TestAPI.call(anonymous, .get, "/v1/tenants/northwind/credits/eligibility", nil, session)
                let users = try await TestAPI.call(anonymous, .get, "/v1/tenants/northwind/users", nil, session)
                let credits = try await TestAPI.call(anonymous, .get, "/v1/tenants/northwind/credits", nil, session)
                #expect((eligibility.status == 200) == buy && (buy || eligibility.status == 403), "\(role) buying: \(eligibility)")
                #expect((users.status == 200) == licenses && (licenses || users.status == 403), "\(role) licenses: \(users)")
                #expect((credits.status == 200) == read, "\(role) reading: \(credits)")
            }
            try await TestAPI().send(
                client,
                .post,
                "/v1/tenants/northwind/users",
                #"{"upn":"helpdesk@northwind.example","displayName":"Help","usageLocation":"US","roles":["helpdeskAdministrator"]}"#,
                expect: .created
            )
            try await TestAPI().send(
                client,
                .put,
                "/v1/tenants/northwind/users/helpdesk@northwind.example/password",
                #"{"password":"\#(TwoTenants.password)"}"#,
                expect: .noContent
            )
            let refused = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/sessions",
                #"{"upn":"helpdesk@northwind.example","password":"\#(TwoTenants.password)"}"#,
                [:]
            )
            #expect(refused.status == 403 && refused.code == "notAnAdministrator")
        }
    }

    @Test(
        "Signing in and out: a wrong password and an unknown name get the same answer; the cookie is Secure, HttpOnly, SameSite; changes need the CSRF token"
    )
    func sessions() async throws {
        try await TestServer.run { client, database in
            let anonymous = (client as! AuthorizedClient).client
            let world = try await TwoTenants.make(client, database)
            let wrong = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/sessions",
                #"{"upn":"global@northwind.example","password":"not the password"}"#,
                [:]
            )
            let unknown = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/sessions",
                #"{"upn":"nobody@northwind.example","password":"\#(TwoTenants.password)"}"#,
                [:]
            )
            #expect(wrong.status == 401 && wrong.code == "signInFailed" && unknown.code == "signInFailed" && wrong.detail == unknown.detail)

            let signedIn = try await anonymous.execute(
                uri: "/v1/sessions",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"upn":"Global@Northwind.example","password":"\#(TwoTenants.password)"}"#)
            )
            #expect(signedIn.status == .created)
            let setCookie = signedIn.headers[.setCookie] ?? ""
            for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] { #expect(setCookie.contains(attribute), "\(setCookie)") }
            let cookie = String(setCookie.prefix { $0 != ";" })
            let body = try JSONSerialization.jsonObject(with: Data(buffer: signedIn.body)) as! [String: Any]
            let csrf = body["csrfToken"] as! String
            #expect(body["tenantId"] as? String == "northwind")

            let current = try await TestAPI.call(anonymous, .get, "/v1/sessions/current", nil, [.cookie: cookie])
            #expect(current.status == 200 && current.body["csrfToken"] as? String == csrf)
            let byToken = try await TestAPI.call(anonymous, .get, "/v1/sessions/current", nil, [.authorization: "Bearer \(world.fabrikamToken)"])
            #expect(byToken.status == 404 && byToken.code == "noSession")

            let change = #"{"enabled":false,"rechargeAmountMinor":0,"triggerAmountMinor":0}"#
            let forged = try await TestAPI.call(anonymous, .put, "/v1/tenants/northwind/credits/auto-recharge", change, [.cookie: cookie])
            #expect(forged.status == 403 && forged.code == "csrfTokenMissing")
            let wrongToken = try await TestAPI.call(
                anonymous,
                .put,
                "/v1/tenants/northwind/credits/auto-recharge",
                change,
                [.cookie: cookie, .init("X-CSRF-Token")!: "guess"]
            )
            #expect(wrongToken.code == "csrfTokenMissing")
            let made = try await TestAPI.call(
                anonymous,
                .put,
                "/v1/tenants/northwind/credits/auto-recharge",
                change,
                [.cookie: cookie, .init("X-CSRF-Token")!: csrf]
            )
            #expect(made.status == 200)

            let signOut = try await anonymous.execute(
                uri: "/v1/sessions/current",
                method: .delete,
                headers: [.cookie: cookie, .init("X-CSRF-Token")!: csrf]
            )
            #expect(signOut.status == .noContent && signOut.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await TestAPI.call(anonymous, .get, "/v1/tenants/northwind/credits", nil, [.cookie: cookie]).code == "unauthenticated")
        }
    }

    @Test(
        "A platform token for every tenant charges and uploads any tenant's calls and does nothing else: no tenant, balance or report, no token of its own"
    )
    func platformTokenForEveryTenant() async throws {
        try await TestServer.run(testClock: true) { client, database in
            let anonymous = (client as! AuthorizedClient).client
            _ = try await TwoTenants.make(client, database)
            let platform = try await database.token(Scope.platform)
            for tenant in ["northwind", "fabrikam"] {
                for route in Self.routes where route.tenantScoped {
                    let answer = try await TestAPI.call(
                        anonymous,
                        route.method,
                        route.path(tenant: tenant),
                        route.body,
                        [.authorization: "Bearer \(platform)"]
                    )
                    if case let .permission(permission) = route.need, [.chargeCalls, .uploadUsage].contains(permission) {
                        #expect(![401, 403].contains(answer.status) && answer.code != "unknownTenant", "\(route) in \(tenant): \(answer)")
                    } else {
                        #expect([403, 404].contains(answer.status), "\(route) in \(tenant) with the platform token: \(answer)")
                    }
                }
            }
            let listed = try await TestAPI.call(anonymous, .get, "/v1/tenants", nil, [.authorization: "Bearer \(platform)"])
            #expect(listed.status == 200 && (listed.body["tenants"] as? [Any])?.isEmpty == true, "it lists no tenant: \(listed)")

            await #expect(throws: Refusal.self, "only an operator makes a token for every tenant") {
                try await database.access().createToken(
                    name: "x",
                    tenantId: nil,
                    scopes: [.calls],
                    madeBy: Principal(
                        credential: .token(id: "tok_admin"),
                        tenantId: TenantId("northwind"),
                        permissions: Scope.tenantAdmin.permissions
                    )
                )
            }
            await #expect(throws: Refusal.self, "a token for every tenant carries the platform's scopes alone") {
                try await database.access().createToken(name: "x", tenantId: nil, scopes: [.calls, .reports])
            }
        }
    }

    @Test(
        "Tokens: the secret is shown once; lists never show it; a revoked token stops at once; a tenant cannot make an operator token or touch another tenant's"
    )
    func tokens() async throws {
        try await TestServer.run { client, database in
            let anonymous = (client as! AuthorizedClient).client
            _ = try await TwoTenants.make(client, database)
            let admin = try await database.token([.tenantAdmin], tenant: "northwind")
            let made = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/tenants/northwind/tokens",
                #"{"name":"phones","scopes":["calls","usage"]}"#,
                [.authorization: "Bearer \(admin)"]
            )
            #expect(made.status == 201 && made.body["scopes"] as? [String] == ["calls", "usage"])
            #expect(
                made.headers[.cacheControl] == "no-store" && made.headers[.init("Kept-Without-Field")!] == nil,
                "a secret is not cached, and no inner header leaks"
            )
            let secret = made.body["token"] as! String
            let id = made.body["id"] as! String
            let listed = try await TestAPI.call(anonymous, .get, "/v1/tenants/northwind/tokens", nil, [.authorization: "Bearer \(admin)"])
            let tokens = listed.body["tokens"] as? [[String: Any]] ?? []
            #expect(tokens.count == 2 && tokens.allSatisfy { $0["token"] == nil })

            let buy = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/tenants/northwind/credits/purchases",
                #"{"amountMinor":1000,"paymentMethod":{"type":"card","token":"tok_visa"}}"#,
                [.authorization: "Bearer \(secret)", .init("Idempotency-Key")!: "k1"]
            )
            #expect(buy.status == 403 && buy.code == "forbidden", "the telephony token cannot buy: \(buy)")
            let upload = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/tenants/northwind/usage-records",
                #"{"records":[]}"#,
                [.authorization: "Bearer \(secret)"]
            )
            #expect(upload.status == 200)

            let operatorScope = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/tenants/northwind/tokens",
                #"{"scopes":["operator"]}"#,
                [.authorization: "Bearer \(admin)"]
            )
            #expect(operatorScope.status == 422 && operatorScope.code == "invalidScopes")
            let unknownScope = try await TestAPI.call(
                anonymous,
                .post,
                "/v1/tenants/northwind/tokens",
                #"{"scopes":["everything"]}"#,
                [.authorization: "Bearer \(admin)"]
            )
            #expect(unknownScope.status == 422 && unknownScope.code == "invalidScopes")
            let fabrikamAdmin = try await database.token([.tenantAdmin], tenant: "fabrikam")
            let acrossTenants = try await TestAPI.call(
                anonymous,
                .delete,
                "/v1/tenants/fabrikam/tokens/\(id)",
                nil,
                [.authorization: "Bearer \(fabrikamAdmin)"]
            )
            #expect(acrossTenants.status == 404 && acrossTenants.code == "unknownToken")

            let revoked = try await TestAPI.call(anonymous, .delete, "/v1/tenants/northwind/tokens/\(id)", nil, [.authorization: "Bearer \(admin)"])
            #expect(revoked.status == 200 && revoked.body["revokedAt"] is String)
            #expect(
                try await TestAPI.call(
                    anonymous,
                    .post,
                    "/v1/tenants/northwind/usage-records",
                    #"{"records":[]}"#,
                    [.authorization: "Bearer \(secret)"]
                ).code == "unauthenticated"
            )
        }
    }

    @Test("Each credential is held to its rate: beyond the burst, 429 with Retry-After and nothing done; other credentials go on")
    func rateLimit() async throws {
        try await TestServer.run(limits: (perSecond: 0.5, burst: 3)) { client, database in
            let anonymous = (client as! AuthorizedClient).client
            let token = try await database.token([.operator])
            for _ in 0..<3 {
                #expect(try await TestAPI.call(anonymous, .get, "/v1/tenants", nil, [.authorization: "Bearer \(token)"]).status == 200)
            }
            let limited = try await anonymous.execute(
                uri: "/v1/tenants",
                method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: ByteBuffer(
                    string: #"{"id":"late","name":"Late","country":"US","currency":"USD","channel":"webDirect","commerceModel":"classic"}"#
                )
            )
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            let other = try await database.token([.operator])
            #expect(
                try await TestAPI.call(anonymous, .get, "/v1/tenants/late", nil, [.authorization: "Bearer \(other)"]).code == "unknownTenant",
                "the refused request created nothing"
            )
        }
    }

    // MARK: Helpers

    @Test(
        "Five failed sign-ins with one name within 15 minutes: the next is refused with 429 and Retry-After, even with the right password; other names go on"
    )
    func signInLimit() async throws {
        try await TestServer.run { client, database in
            let anonymous = (client as! AuthorizedClient).client
            _ = try await TwoTenants.make(client, database)
            func signIn(_ upn: String, _ password: String) async throws -> (status: Int, code: String?, retryAfter: String?) {
                try await anonymous.execute(
                    uri: "/v1/sessions",
                    method: .post,
                    headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"upn":"\#(upn)","password":"\#(password)"}"#)
                ) { response in
                    let body = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
                    return (Int(response.status.code), body["code"] as? String, response.headers[.retryAfter])
                }
            }
            for _ in 1...5 { #expect(try await signIn("global@northwind.example", "a wrong guess").status == 401) }
            let limited = try await signIn("GLOBAL@northwind.example ", TwoTenants.password)
            #expect(limited.status == 429 && limited.code == "tooManySignIns", "the same name in other letters, with the right password")
            #expect(limited.retryAfter.flatMap(Int.init).map { (890...900).contains($0) } == true, "\(limited.retryAfter ?? "none")")
            // The limit is the name's, whether it exists or not; another name signs in.
            for _ in 1...5 { _ = try await signIn("nobody@northwind.example", "a wrong guess") }
            #expect(try await signIn("nobody@northwind.example", "a wrong guess").code == "tooManySignIns")
            #expect(try await signIn("global@fabrikam.example", TwoTenants.password).status == 201)
        }
    }

}

/// Northwind and Fabrikam, each with a Global Administrator who has a password, and a token of
/// Fabrikam's with every tenant scope.
struct TwoTenants {
    static let password = "correct horse battery staple"
    let fabrikamToken: String
    let fabrikamSession: HTTPFields

    static func make(_ client: any TestClientProtocol, _ database: TestServer.Database) async throws -> TwoTenants {
        let api = TestAPI()
        for tenant in ["northwind", "fabrikam"] {
            try await api.createTenant(client, id: tenant)
            try await api.send(
                client,
                .post,
                "/v1/tenants/\(tenant)/users",
                #"{"upn":"global@\#(tenant).example","displayName":"Global","usageLocation":"US","roles":["globalAdministrator"]}"#,
                expect: .created
            )
            try await api.send(
                client,
                .put,
                "/v1/tenants/\(tenant)/users/global@\(tenant).example/password",
                #"{"password":"\#(password)"}"#,
                expect: .noContent
            )
        }
        let token = try await database.token(Set(TestAPI.tenantScopes), tenant: "fabrikam")
        let world = TwoTenants(fabrikamToken: token, fabrikamSession: [:])
        let session = try await world.session((client as! AuthorizedClient).client, upn: "global@fabrikam.example")
        return TwoTenants(fabrikamToken: token, fabrikamSession: session)
    }

    /// Signs in a new Northwind administrator holding `role`; returns the headers that speak for them.
    func signIn(_ anonymous: any TestClientProtocol, _ operatorClient: any TestClientProtocol, role: Role) async throws -> HTTPFields {
        let upn = "\(role.rawValue.lowercased())@northwind.example"
        try await TestAPI().send(
            operatorClient,
            .post,
            "/v1/tenants/northwind/users",
            #"{"upn":"\#(upn)","displayName":"\#(role.displayName)","usageLocation":"US","roles":["\#(role.rawValue)"]}"#,
            expect: .created
        )
        try await TestAPI().send(
            operatorClient,
            .put,
            "/v1/tenants/northwind/users/\(upn)/password",
            #"{"password":"\#(Self.password)"}"#,
            expect: .noContent
        )
        return try await session(anonymous, upn: upn)
    }

    /// The cookie and CSRF header of a new session for `upn`.
    func session(_ anonymous: any TestClientProtocol, upn: String) async throws -> HTTPFields {
        try await anonymous.execute(
            uri: "/v1/sessions",
            method: .post,
            headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"upn":"\#(upn)","password":"\#(Self.password)"}"#)
        ) { response in
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
            let cookie = String((response.headers[.setCookie] ?? "").prefix { $0 != ";" })
            return [.cookie: cookie, .init("X-CSRF-Token")!: body["csrfToken"] as? String ?? ""]
        }
    }
}

/// The operations of `openapi.yaml`, as "METHOD /path".
enum OpenAPIOperations {
    static func inDocument() throws -> Set<String> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Sources/CreditsAPI/Resources/openapi.yaml"
        )
        let text = try String(contentsOf: url, encoding: .utf8)
        var operations: Set<String> = []
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("components:") { break }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "),
                let method = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" })
            {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }
}

/// `Idempotency-Key` on any request that changes something.
@Suite("Idempotency keys")
struct IdempotencyKeyTests {
    @Test("The same key and request get the first answer again, marked replayed; another request under the key is refused; keys are per tenant")
    func replays() async throws {
        try await TestServer.run { client, database in
            try await TestAPI().putSampleDeck(client)
            try await TestAPI().tailspin(client)
            try await TestAPI().createTenant(client, id: "fabrikam")
            let anonymous = (client as! AuthorizedClient).client
            let usage = try await database.token([.usage, .reports], tenant: "tailspin")
            let record =
                #"{"records":[{"usageId":"u-1","callType":"user_out","upn":"payg@tailspin.com","callerNumber":"+14255550100","calleeNumber":"+14255550199","startTime":"2026-11-20T10:00:00Z","durationSeconds":120}]}"#
            let upload = { (key: String?, body: String, token: String, tenant: String) in
                var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
                if let key { headers[.init("Idempotency-Key")!] = key }
                return try await anonymous.execute(
                    uri: "/v1/tenants/\(tenant)/usage-records",
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: body)
                ) { response in
                    (Int(response.status.code), String(buffer: response.body), response.headers[.init("Idempotent-Replayed")!])
                }
            }
            let first = try await upload("batch-1", record, usage, "tailspin")
            #expect(first.0 == 200 && first.1.contains(#""status":"charged""#) && first.2 == nil)
            let again = try await upload("batch-1", record, usage, "tailspin")
            #expect(again.0 == 200 && again.1 == first.1 && again.2 == "true", "the first answer, not 'duplicate'")
            let withoutKey = try await upload(nil, record, usage, "tailspin")
            #expect(withoutKey.1.contains(#""status":"duplicate""#), "without the key, the record's own id still keeps it from counting twice")
            let other = try await upload("batch-1", record.replacingOccurrences(of: "u-1", with: "u-2"), usage, "tailspin")
            #expect(other.0 == 409 && other.1.contains("idempotencyConflict"))

            let refused = try await upload("batch-2", #"{"records":"not a list"}"#, usage, "tailspin")
            #expect(refused.0 == 400)
            let refusedAgain = try await upload("batch-2", #"{"records":"not a list"}"#, usage, "tailspin")
            #expect(refusedAgain.0 == 400 && refusedAgain.2 == nil, "a refusal did nothing, so it is not kept: the retry runs again")
            let fixed = try await upload("batch-2", record.replacingOccurrences(of: "u-1", with: "u-3"), usage, "tailspin")
            #expect(fixed.0 == 200 && fixed.1.contains(#""status":"charged""#), "the key is free for the corrected request")

            let fabrikam = try await database.token([.usage], tenant: "fabrikam")
            let elsewhere = try await upload("batch-1", #"{"records":[]}"#, fabrikam, "fabrikam")
            #expect(elsewhere.0 == 200 && elsewhere.2 == nil, "another tenant's keys are its own")

            let credits = try await TestAPI().send(client, .get, "/v1/tenants/tailspin/usage-records?from=2026-11-01&to=2026-11-30", expect: .ok)
            #expect((credits["records"] as? [Any])?.count == 2, "u-1 charged once, and u-3")
        }
    }

    @Test(
        "Keys belong to the caller: another tenant's credential neither reads, nor learns of, nor blocks a tenant's keys; a kept token answer holds no secret"
    )
    func keysBelongToTheirCaller() async throws {
        try await TestServer.run { client, database in
            let anonymous = (client as! AuthorizedClient).client
            _ = try await TwoTenants.make(client, database)
            let northwind = try await database.token([.tenantAdmin], tenant: "northwind")
            let fabrikam = try await database.token([.tenantAdmin], tenant: "fabrikam")
            let body = #"{"name":"phones","scopes":["calls"]}"#
            func make(_ token: String, _ tenant: String, key: String) async throws -> (status: Int, body: [String: Any], replayed: String?) {
                try await anonymous.execute(
                    uri: "/v1/tenants/\(tenant)/tokens",
                    method: .post,
                    headers: [.authorization: "Bearer \(token)", .contentType: "application/json", .init("Idempotency-Key")!: key],
                    body: ByteBuffer(string: body)
                ) { response in
                    (
                        Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:],
                        response.headers[.init("Idempotent-Replayed")!]
                    )
                }
            }
            let first = try await make(northwind, "northwind", key: "shared-key")
            let secret = try #require(first.body["token"] as? String)
            #expect(first.status == 201 && first.replayed == nil)

            let stolen = try await make(fabrikam, "northwind", key: "shared-key")
            #expect(
                stolen.status == 404 && stolen.body["code"] as? String == "unknownTenant" && stolen.body["token"] == nil,
                "another tenant's credential gets the tenant's 404, never the kept answer: \(stolen.body)"
            )
            let probe = try await make(fabrikam, "northwind", key: "never-used")
            #expect(
                probe.status == stolen.status && probe.body["code"] as? String == stolen.body["code"] as? String,
                "used and unused keys look alike"
            )

            let own = try await make(fabrikam, "fabrikam", key: "shared-key")
            #expect(own.status == 201 && own.replayed == nil && own.body["token"] is String, "the same key is another caller's own")

            let repeated = try await make(northwind, "northwind", key: "shared-key")
            #expect(repeated.status == 201 && repeated.replayed == "true" && repeated.body["id"] as? String == first.body["id"] as? String)
            #expect(repeated.body["token"] == nil, "the kept answer says the token was made, without its secret")
            let tokens = try await database.access().tokens(of: TenantId("northwind")).filter { $0.name == "phones" }
            #expect(tokens.count == 1, "made once")
            #expect(!secret.isEmpty)
        }
    }

    @Test("Kept answers are forgotten after a day: the same key then runs again, and the purchase it names is still bought once")
    func keptForADay() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            let api = TestAPI()
            try await api.send(client, .post, "/v1/test-clock/advance", #"{"to":"2027-01-10T09:00:00Z"}"#, expect: .ok)
            try await api.createTenant(client, id: "northwind")
            let purchase = #"{"amountMinor":1000,"paymentMethod":{"type":"card","token":"tok_visa"}}"#
            let replayed = { () async throws -> String? in
                try await client.execute(
                    uri: "/v1/tenants/northwind/credits/purchases",
                    method: .post,
                    headers: [.contentType: "application/json", .init("Idempotency-Key")!: "day"],
                    body: ByteBuffer(string: purchase)
                ) { response in
                    #expect(response.status == .created)
                    return response.headers[.init("Idempotent-Replayed")!]
                }
            }
            #expect(try await replayed() == nil)
            #expect(try await replayed() == "true")
            try await api.send(client, .post, "/v1/test-clock/advance", #"{"to":"2027-01-11T10:00:00Z"}"#, expect: .ok)
            #expect(try await replayed() == nil, "forgotten after a day")
            #expect(
                try await api.send(client, .get, "/v1/tenants/northwind/credits", expect: .ok)["balanceMinor"] as? Int == 1000,
                "the purchase under that key was not bought again"
            )
        }
    }
}
