import Configuration
import CreditsApp
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Northwind, ready to be told things: two administrators (and a user with no role, who is
/// told nothing), a Pay-As-You-Go caller, credits with auto-recharge, and the sample rates.
struct NotificationFixture {
    let api = TestAPI()
    static let administrators = ["alex@northwind.com", "megan@northwind.com"]

    static func relaySettings(port: Int, interval: Int = 1) -> [AbsoluteConfigKey: ConfigValue] {
        [
            "smtp.host": .init(.string("127.0.0.1"), isSecret: false), "smtp.port": .init(.int(port), isSecret: false),
            "smtp.security": .init(.string("none"), isSecret: false), "smtp.from": .init(.string("credits@commscredits.example"), isSecret: false),
            "notifications.intervalSeconds": .init(.int(interval), isSecret: false),
        ]
    }

    /// The receivers in these tests listen on loopback over plain HTTP, which only an operator may allow.
    static let localWebhooks: [AbsoluteConfigKey: ConfigValue] = [
        "webhooks.allowPlainHTTP": .init(.bool(true), isSecret: false), "webhooks.allowPrivateAddresses": .init(.bool(true), isSecret: false),
    ]

    /// 5.00 USD of credits; auto-recharge of 20.00 when the balance falls below 4.00.
    func northwind(_ client: any TestClientProtocol) async throws {
        try await api.send(client, .post, "/v1/test-clock/advance", #"{"to":"2027-01-10T09:00:00Z"}"#, expect: .ok)
        try await api.createTenant(client, id: "northwind")
        for (upn, roles) in [
            ("megan", #""globalAdministrator""#), ("alex", #""billingAdministrator","teamsAdministrator""#), ("lee", ""), ("payg", ""),
        ] {
            try await api.send(
                client,
                .post,
                "/v1/tenants/northwind/users",
                #"{"upn":"\#(upn)@northwind.com","displayName":"\#(upn)","usageLocation":"US","roles":[\#(roles)]}"#,
                expect: .created
            )
        }
        try await api.send(
            client,
            .post,
            "/v1/tenants/northwind/credits/purchases",
            #"{"amountMinor":500,"paymentMethod":{"type":"card","token":"tok_visa"},"autoRecharge":{"enabled":true,"rechargeAmountMinor":2000,"triggerAmountMinor":400}}"#,
            key: "buy",
            expect: .created
        )
        try await api.send(
            client,
            .post,
            "/v1/tenants/northwind/users/payg@northwind.com/licenses",
            #"{"add":["MCOEV","MCOPSTN_PAYG","MCOPSTNPP"]}"#,
            expect: .ok
        )
        try await TestAPI().putSampleDeck(client)
    }

    /// A 23-minute call to a UK mobile: enough to take the balance below the trigger.
    func longCall(_ client: any TestClientProtocol, id: String = "u1") async throws {
        let now = try await api.send(client, .get, "/v1/test-clock", expect: .ok)["now"] as! String
        let upload =
            #"{"records":[{"usageId":"\#(id)","callType":"user_out","upn":"payg@northwind.com","callerNumber":"+14255550100","calleeNumber":"+447700900123","startTime":"\#(now)","durationSeconds":1380}]}"#
        let results = try await api.send(client, .post, "/v1/tenants/northwind/usage-records", upload, expect: .ok)["results"] as? [[String: Any]]
        precondition(results?.first?["status"] as? String == "charged", "\(String(describing: results))")
    }

    func balanceMinor(_ client: any TestClientProtocol) async throws -> Int {
        try await api.send(client, .get, "/v1/tenants/northwind/credits", expect: .ok)["balanceMinor"] as! Int
    }

    func notifications(_ client: any TestClientProtocol) async throws -> [[String: Any]] {
        try await api.send(client, .get, "/v1/tenants/northwind/credits/notifications", expect: .ok)["notifications"] as? [[String: Any]] ?? []
    }

    /// Moves the test clock `seconds` on, which runs everything due, sending included.
    func advance(_ client: any TestClientProtocol, seconds: Double) async throws {
        let now = try await api.send(client, .get, "/v1/test-clock", expect: .ok)["now"] as! String
        let to = ISO8601DateFormatter().date(from: now)!.addingTimeInterval(seconds)
        try await api.send(client, .post, "/v1/test-clock/advance", #"{"to":"\#(ISO8601DateFormatter().string(from: to))"}"#, expect: .ok)
    }

    /// Polls `condition` every 100 ms for up to `seconds`; returns whether it came true.
    @discardableResult
    static func waitUntil(seconds: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}
