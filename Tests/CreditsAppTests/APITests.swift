import Configuration
import CreditsApp
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// The API through the real server: started on a free port over a fresh SQLite file.
@Suite("The HTTP API for tenants, users, licenses and credits")
struct APITests {
    let api = TestAPI()

    @Test("Buying with each sandbox token: a lot and an invoice for the good card, a clear refusal and nothing added for the others")
    func purchasesWithEachToken() async throws {
        try await api.withServer { client in
            try await api.createTenant(client, id: "northwind")
            let buy = { (token: String, key: String, status: HTTPResponse.Status) in
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/northwind/credits/purchases",
                    #"{"amountMinor":25000,"paymentMethod":{"type":"card","token":"\#(token)"},"autoRecharge":{"enabled":true,"rechargeAmountMinor":10000,"triggerAmountMinor":2000}}"#,
                    key: key,
                    expect: status
                )
            }
            let bought = try await buy("tok_visa", "p1", .created)
            #expect(bought["lotId"] as? Int != nil && bought["invoiceId"] as? Int != nil)
            #expect(try await buy("tok_visa", "p1", .created)["purchaseId"] as? Int == bought["purchaseId"] as? Int)
            #expect(try await buy("tok_chargeDeclinedExpiredCard", "p2", .init(code: 402))["code"] as? String == "paymentCardExpired")
            #expect(try await buy("tok_chargeDeclined", "p3", .init(code: 402))["code"] as? String == "paymentDeclined")
            #expect(try await buy("tok_gatewayTimeout", "p4", .gatewayTimeout)["code"] as? String == "paymentGatewayUnavailable")
            #expect(try await buy("tok_mastercard", "p1", .conflict)["code"] as? String == "idempotencyConflict")

            let credits = try await api.send(client, .get, "/v1/tenants/northwind/credits", expect: .ok)
            #expect(credits["balanceMinor"] as? Int == 25000)
            let lots = credits["lots"] as? [[String: Any]] ?? []
            #expect(lots.count == 1)
            #expect(lots.first?["remainingMinor"] as? Int == 25000)
            #expect((credits["autoRecharge"] as? [String: Any])?["enabled"] as? Bool == true)
            #expect((credits["paymentMethod"] as? [String: Any])?["lastFour"] as? String == "4242")
            #expect((credits["paymentMethod"] as? [String: Any])?["token"] == nil)

            let invoices =
                try await api.send(client, .get, "/v1/tenants/northwind/credits/invoices", expect: .ok)["invoices"] as? [[String: Any]] ?? []
            #expect(invoices.count == 1)
            #expect(invoices.first?["amountMinor"] as? Int == 25000)
            #expect(invoices.first?["paymentDescription"] as? String == "Visa ending 4242 (12/2034)")
            let id = invoices.first?["id"] as? Int ?? 0
            try await client.execute(uri: "/v1/tenants/northwind/credits/invoices/\(id)", method: .get, headers: [.accept: "text/html"]) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(String(buffer: response.body).contains("$250.00"))
            }
            let transactions =
                try await api.send(client, .get, "/v1/tenants/northwind/credits/transactions", expect: .ok)["transactions"] as? [[String: Any]]
            #expect(transactions?.map { $0["kind"] as? String } == ["purchase"])
        }
    }

    @Test("Refusals: bad input, missing key, the three who-may-buy rules, the license prerequisite, unknown tenant, user and invoice")
    func refusals() async throws {
        try await api.withServer { client in
            try await api.createTenant(client, id: "nce", #""channel":"webDirect","commerceModel":"nce""#)
            try await api.createTenant(client, id: "csp", #""channel":"csp","commerceModel":"classic""#)
            try await api.createTenant(
                client,
                id: "ea",
                #""channel":"volumeLicensing","commerceModel":"classic","agreements":[{"number":"EA-1","billingCountry":"GB"}]"#
            )
            try await api.createTenant(client, id: "ok")
            let card = #"{"amountMinor":1000,"paymentMethod":{"type":"card","token":"tok_visa"}}"#
            let agreement = #"{"amountMinor":1000,"paymentMethod":{"type":"agreement","agreementNumber":"EA-1"}}"#
            #expect(
                try await api.send(client, .post, "/v1/tenants/nce/credits/purchases", card, key: "a", expect: .forbidden)["code"] as? String
                    == "purchaseNotAllowedPostUsage"
            )
            #expect(
                try await api.send(client, .post, "/v1/tenants/csp/credits/purchases", card, key: "a", expect: .forbidden)["code"] as? String
                    == "purchaseNotAllowedCsp"
            )
            let conflict = try await api.send(client, .post, "/v1/tenants/ea/credits/purchases", agreement, key: "a", expect: .forbidden)
            #expect(conflict["code"] as? String == "purchaseNotAllowedRegionConflict")
            #expect((conflict["remedy"] as? String)?.contains("support ticket") == true)
            // Its only agreement bills abroad: no way to buy, by card either, and the API says so as the page does.
            #expect(try await api.send(client, .get, "/v1/tenants/ea/credits/eligibility", expect: .ok)["allowed"] as? Bool == false)
            #expect(
                try await api.send(client, .post, "/v1/tenants/ea/credits/purchases", card, key: "card", expect: .forbidden)["code"] as? String
                    == "purchaseNotAllowedRegionConflict"
            )
            let eligibility = try await api.send(client, .get, "/v1/tenants/nce/credits/eligibility", expect: .ok)
            #expect(eligibility["allowed"] as? Bool == false)

            #expect(
                try await api.send(client, .post, "/v1/tenants/ok/credits/purchases", card, expect: .badRequest)["code"] as? String
                    == "idempotencyKeyMissing"
            )
            for body in [
                #"{"amountMinor":-5,"paymentMethod":{"type":"card","token":"tok_visa"}}"#,
                #"{"amountMinor":999999999999,"paymentMethod":{"type":"card","token":"tok_visa"}}"#,
            ] {
                #expect(
                    try await api.send(client, .post, "/v1/tenants/ok/credits/purchases", body, key: "b\(body.count)", expect: .unprocessableContent)[
                        "code"
                    ] as? String == "invalidAmount"
                )
            }
            try await api.send(client, .post, "/v1/tenants/ok/credits/purchases", #"{"amountMinor":1000}"#, key: "c1", expect: .badRequest)
            try await api.send(client, .post, "/v1/tenants/ok/credits/purchases", "not json", key: "c2", expect: .badRequest)
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/ok/credits/purchases",
                    #"{"amountMinor":1000,"paymentMethod":{"type":"cash"}}"#,
                    key: "c",
                    expect: .unprocessableContent
                )["code"] as? String == "invalidPaymentMethod"
            )
            #expect(
                try await api.send(
                    client,
                    .put,
                    "/v1/tenants/ok/credits/auto-recharge",
                    #"{"enabled":true,"rechargeAmountMinor":0,"triggerAmountMinor":100}"#,
                    expect: .unprocessableContent
                )["code"] as? String == "invalidRechargeAmount"
            )
            #expect(
                try await api.send(client, .post, "/v1/tenants/nobody/credits/purchases", card, key: "d", expect: .notFound)["code"] as? String
                    == "unknownTenant"
            )
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants",
                    #"{"id":"ok","name":"Again","country":"US","currency":"USD","channel":"webDirect","commerceModel":"classic"}"#,
                    expect: .conflict
                )["code"] as? String == "tenantExists"
            )
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants",
                    #"{"name":"X","country":"ZZ","currency":"USD","channel":"webDirect","commerceModel":"classic"}"#,
                    expect: .unprocessableContent
                )["code"] as? String == "invalidCountry"
            )
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants",
                    #"{"name":"X","country":"US","currency":"XYZ","channel":"webDirect","commerceModel":"classic"}"#,
                    expect: .unprocessableContent
                )["code"] as? String == "invalidCurrency"
            )
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants",
                    #"{"name":"X","country":"US","currency":"USD","channel":"retail","commerceModel":"classic"}"#,
                    expect: .unprocessableContent
                )["code"] as? String == "invalidChannel"
            )

            try await api.send(client, .post, "/v1/tenants/ok/credits/purchases", card, key: "e", expect: .created)
            try await api.send(
                client,
                .post,
                "/v1/tenants/ok/users",
                #"{"upn":"ada@ok.com","displayName":"Ada","usageLocation":"US","roles":["Global Administrator"],"licenses":["MCOEV"]}"#,
                expect: .created
            )
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/ok/users",
                    #"{"upn":"Ada@ok.com","displayName":"Ada","usageLocation":"US"}"#,
                    expect: .conflict
                )["code"] as? String == "userExists"
            )
            let missing = try await api.send(client, .post, "/v1/tenants/ok/users/ada@ok.com/licenses", #"{"add":["MCOPSTNPP"]}"#, expect: .forbidden)
            #expect(missing["code"] as? String == "licensePrerequisiteMissing")
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/ok/users/ada@ok.com/licenses",
                    #"{"add":["MCOFAKE"]}"#,
                    expect: .unprocessableContent
                )["code"] as? String == "unknownLicense"
            )
            let user = try await api.send(
                client,
                .post,
                "/v1/tenants/ok/users/ada@ok.com/licenses",
                #"{"add":["MCOPSTNPP","MCOPSTN1"]}"#,
                expect: .ok
            )
            #expect(user["licenses"] as? [String] == ["MCOEV", "MCOPSTN1", "MCOPSTNPP"])
            #expect(user["administrativeUnits"] as? [String] == [])
            let units = "/v1/tenants/ok/users/ada@ok.com/administrative-units"
            let moved = try await api.send(client, .put, units, #"{"administrativeUnits":["Sales"," EMEA ","Sales"]}"#, expect: .ok)
            #expect(
                moved["administrativeUnits"] as? [String] == ["EMEA", "Sales"] && moved["licenses"] as? [String] == user["licenses"] as? [String]
            )
            let tooMany = "[" + (1...51).map { "\"U\($0)\"" }.joined(separator: ",") + "]"
            for body in [#"{"administrativeUnits":["a;b"]}"#, #"{"administrativeUnits":\#(tooMany)}"#] {
                #expect(
                    try await api.send(client, .put, units, body, expect: .unprocessableContent)["code"] as? String == "invalidAdministrativeUnits"
                )
            }
            #expect(
                try await api.send(client, .put, units, #"{"administrativeUnits":"Sales"}"#, expect: .badRequest)["code"] as? String
                    == "invalidRequest"
            )
            try await api.send(
                client,
                .put,
                "/v1/tenants/ok/users/bob@ok.com/administrative-units",
                #"{"administrativeUnits":[]}"#,
                expect: .notFound
            )
            #expect(
                try await api.send(client, .get, "/v1/tenants/ok/users/ada@ok.com", expect: .ok)["administrativeUnits"] as? [String] == [
                    "EMEA", "Sales",
                ]
            )
            #expect(
                try await api.send(
                    client,
                    .post,
                    "/v1/tenants/ok/users/bob@ok.com/licenses",
                    #"{"add":["MCOEV"]}"#,
                    expect: .notFound
                )["code"] as? String == "unknownUser"
            )
            #expect(try await api.send(client, .get, "/v1/tenants/ok/credits/invoices/999", expect: .notFound)["code"] as? String == "unknownInvoice")
            // Another tenant's invoice is as unknown as one that does not exist.
            #expect(try await api.send(client, .get, "/v1/tenants/csp/credits/invoices/1", expect: .notFound)["code"] as? String == "unknownInvoice")
        }
    }

    @Test("Users are imported from CSV all or nothing, listed in pages, and a tenant moves to NCE with a plain warning while auto-recharge is on")
    func importAndPostUsage() async throws {
        try await api.withServer { client in
            try await api.createTenant(client, id: "t")
            let bad = "upn,displayName,usageLocation\na@t.com,A,US\nb@t.com,\"B,US\n"
            let refused = try await client.execute(uri: "/v1/tenants/t/users/import", method: .post, body: ByteBuffer(string: bad)) { response in
                #expect(response.status == .unprocessableContent)
                return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
            }
            #expect((refused["lines"] as? [[String: Any]])?.first?["line"] as? Int == 3)
            #expect(try await api.send(client, .get, "/v1/tenants/t/users", expect: .ok)["users"] as? [Any] != nil)
            #expect((try await api.send(client, .get, "/v1/tenants/t/users", expect: .ok)["users"] as? [Any])?.isEmpty == true)
            let good = "upn,displayName,usageLocation\n" + (1...5).map { "u\($0)@t.com,U\($0),US" }.joined(separator: "\n")
            try await client.execute(uri: "/v1/tenants/t/users/import", method: .post, body: ByteBuffer(string: good)) { #expect($0.status == .ok) }
            let page = try await api.send(client, .get, "/v1/tenants/t/users?limit=2", expect: .ok)
            #expect((page["users"] as? [Any])?.count == 2)
            #expect(page["next"] as? String == "u2@t.com")
            #expect((try await api.send(client, .get, "/v1/tenants/t/users?after=u4@t.com", expect: .ok)["users"] as? [Any])?.count == 1)
            try await api.send(client, .get, "/v1/tenants/t/users?limit=0", expect: .badRequest)

            try await api.send(
                client,
                .post,
                "/v1/tenants/t/credits/purchases",
                #"{"amountMinor":1000,"paymentMethod":{"type":"card","token":"tok_visa"},"autoRecharge":{"enabled":true,"rechargeAmountMinor":1000,"triggerAmountMinor":500}}"#,
                key: "k",
                expect: .created
            )
            #expect(
                try await api.send(client, .patch, "/v1/tenants/t", #"{"commerceModel":"nce"}"#, expect: .ok)["commerceModel"] as? String == "nce"
            )
            let postUsage = try await api.send(client, .get, "/v1/tenants/t/credits", expect: .ok)["postUsage"] as? [String: Any]
            #expect(postUsage?["active"] as? Bool == false)
            #expect(postUsage?["reason"] as? String == "autoRechargeOn")
            #expect((postUsage?["detail"] as? String)?.contains("Turn auto-recharge off") == true)
            try await api.send(
                client,
                .put,
                "/v1/tenants/t/credits/auto-recharge",
                #"{"enabled":false,"rechargeAmountMinor":1000,"triggerAmountMinor":500}"#,
                expect: .ok
            )
            let after = try await api.send(client, .get, "/v1/tenants/t/credits", expect: .ok)["postUsage"] as? [String: Any]
            #expect(after?["reason"] as? String == "balanceRemaining")
        }
    }
}
