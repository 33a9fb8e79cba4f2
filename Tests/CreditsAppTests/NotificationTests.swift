import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
import NIOFoundationCompat
#endif

/// The outbox end to end: a real server on a test clock, a real SMTP server and a real webhook
/// receiver on loopback.
@Suite("Notifications by email and webhook")
struct NotificationTests {
    let fixture = NotificationFixture()

    @Test("A recharge is told once to each administrator, with the amount and the balance")
    func rechargeToldOnceToEachAdministrator() async throws {
        let sink = try await SMTPSink()
        try await TestServer.run(testClock: true, settings: NotificationFixture.relaySettings(port: sink.port)) { client, _ in
            try await fixture.northwind(client)
            try await fixture.longCall(client)
            let mails = try await sink.waitForMessages(2)
            let balance = try await fixture.balanceMinor(client)
            #expect(mails.count == 2)
            #expect(mails.flatMap(\.recipients).sorted() == NotificationFixture.administrators, "lee holds no role and payg neither")
            for mail in mails {
                #expect(mail.subject == "Northwind: auto-recharge added $20.00 of Communications Credits")
                #expect(mail.headers["From"] == "credits@commscredits.example")
                #expect(
                    mail.text?.contains("The balance is now $\(balance / 100).\(String(format: "%02d", balance % 100)).") == true,
                    "\(mail.text ?? "")"
                )
                #expect(mail.html?.contains("auto-recharge added $20.00") == true)
            }
            #expect(balance > 2000 && balance < 2400, "5.00 - the call + 20.00")

            try await fixture.advance(client, seconds: 3600)
            try await Task.sleep(for: .seconds(2.5))
            #expect(try sink.messages().count == 2, "nothing sent twice, whatever runs again")
            let notifications = try await fixture.notifications(client)
            #expect(notifications.map { $0["type"] as? String } == ["rechargeSucceeded"])
            let deliveries = notifications.first?["deliveries"] as? [[String: Any]] ?? []
            #expect(deliveries.map { $0["recipient"] as? String } == NotificationFixture.administrators)
            #expect(deliveries.allSatisfy { $0["state"] as? String == "delivered" && $0["attempts"] as? Int == 1 })
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("commscredits_notifications_queued 0"))
            #expect(
                metrics.contains(#"commscredits_notifications_sent_total{channel="email",outcome="delivered"}"#),
                "counted (with other tests in this process)"
            )
        }
        await sink.stop()
    }

    @Test("An NCE tenant whose balance runs out with auto-recharge off is told its calls go on, billed after use, and not to buy credits")
    func postUsageTenantToldCallsGoOn() async throws {
        let sink = try await SMTPSink()
        try await TestServer.run(testClock: true, settings: NotificationFixture.relaySettings(port: sink.port)) { client, _ in
            try await fixture.northwind(client)
            try await fixture.api.send(
                client,
                .put,
                "/v1/tenants/northwind/credits/auto-recharge",
                #"{"enabled":false,"rechargeAmountMinor":2000,"triggerAmountMinor":400}"#,
                expect: .ok
            )
            try await fixture.api.send(client, .patch, "/v1/tenants/northwind", #"{"commerceModel":"nce"}"#, expect: .ok)
            for call in 1...5 { try await fixture.longCall(client, id: "u\(call)") }
            #expect(try await fixture.balanceMinor(client) <= 0)
            let mails = try await sink.waitForMessages(4).filter { $0.subject == "Northwind: the Communications Credits balance is used up" }
            #expect(mails.flatMap(\.recipients).sorted() == NotificationFixture.administrators)
            for mail in mails {
                let text = mail.text ?? ""
                #expect(text.contains("Calls go on") && text.contains("billed after use"), "\(text)")
                #expect(!text.contains("Purchase services") && !text.contains("turn on auto-recharge") && !text.contains("refused"), "\(text)")
            }
        }
        await sink.stop()
    }

    @Test("A relay that is down at first gets the message once it is back, after the back-off")
    func relayDownAtFirst() async throws {
        let probe = try await SMTPSink()
        let port = probe.port
        await probe.stop()
        try await TestServer.run(testClock: true, settings: NotificationFixture.relaySettings(port: port)) { client, _ in
            try await fixture.northwind(client)
            try await fixture.api.send(
                client,
                .put,
                "/v1/tenants/northwind/credits/payment-method",
                #"{"type":"card","token":"tok_chargeDeclinedExpiredCard"}"#,
                expect: .ok
            )
            try await fixture.longCall(client)
            let triedOnce = try await NotificationFixture.waitUntil {
                let deliveries = try await fixture.notifications(client).first?["deliveries"] as? [[String: Any]] ?? []
                return deliveries.count == 2 && deliveries.allSatisfy { $0["attempts"] as? Int == 1 && $0["lastError"] != nil }
            }
            #expect(triedOnce)
            let pending = try await fixture.notifications(client).first?["deliveries"] as? [[String: Any]] ?? []
            #expect(pending.allSatisfy { $0["state"] as? String == "pending" && ($0["lastError"] as? String)?.contains("connect") == true })

            let sink = try await SMTPSink(port: port)
            try await Task.sleep(for: .seconds(2))
            #expect(try sink.messages().isEmpty, "the next try waits for its back-off")
            try await fixture.advance(client, seconds: 31)
            let mails = try await sink.waitForMessages(2)
            #expect(mails.flatMap(\.recipients).sorted() == NotificationFixture.administrators)
            for mail in mails {
                #expect(mail.subject == "Northwind: auto-recharge of $20.00 failed (the card has expired)")
                #expect(mail.text?.contains("Use another card or update the payment method") == true)
            }
            try await fixture.advance(client, seconds: 3600)
            #expect(try sink.messages().count == 2)
            let delivered = try await fixture.notifications(client).first?["deliveries"] as? [[String: Any]] ?? []
            #expect(delivered.allSatisfy { $0["state"] as? String == "delivered" && $0["attempts"] as? Int == 2 })
            await sink.stop()
        }
    }

    @Test("Webhooks get each event signed, and again after an error until they accept it")
    func webhooksSignedAndRetried() async throws {
        let inbox = WebhookInbox(failures: 2)
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            return Response(
                status: await inbox.receive(
                    signature: request.headers[.init("CommsCredits-Signature")!] ?? "",
                    eventId: request.headers[.init("CommsCredits-Event-Id")!] ?? "",
                    body: Data(buffer: body)
                )
            )
        }
        try await Application(router: router).test(.live) { receiver in
            try await TestServer.run(testClock: true, settings: NotificationFixture.localWebhooks) { client, _ in
                try await fixture.northwind(client)
                let webhook = try await fixture.api.send(
                    client,
                    .post,
                    "/v1/tenants/northwind/webhooks",
                    #"{"url":"http://127.0.0.1:\#(receiver.port!)/hook"}"#,
                    expect: .created
                )
                let secret = try #require(webhook["secret"] as? String)
                let listed = try await fixture.api.send(client, .get, "/v1/tenants/northwind/webhooks", expect: .ok)["webhooks"] as? [[String: Any]]
                #expect(listed?.count == 1 && listed?.first?["secret"] == nil, "the secret is shown once")

                try await fixture.longCall(client)
                #expect(try await NotificationFixture.waitUntil { await inbox.received.count == 1 })
                try await fixture.advance(client, seconds: 31)
                #expect(try await NotificationFixture.waitUntil { await inbox.received.count == 2 })
                try await fixture.advance(client, seconds: 61)
                #expect(try await NotificationFixture.waitUntil { await inbox.received.count == 3 })
                try await fixture.advance(client, seconds: 3600)
                try await Task.sleep(for: .seconds(1.5))

                let received = await inbox.received
                #expect(received.count == 3, "two refusals, then accepted; never again")
                #expect(Set(received.map(\.body)).count == 1 && Set(received.map(\.eventId)).count == 1, "the same event each time")
                for delivery in received {
                    #expect(Self.verify(delivery.signature, body: delivery.body, secret: secret), "\(delivery.signature)")
                    #expect(!Self.verify(delivery.signature, body: delivery.body + Data(" ".utf8), secret: secret))
                    #expect(!Self.verify(delivery.signature, body: delivery.body, secret: secret + "x"))
                }
                let payload = try #require(try JSONSerialization.jsonObject(with: received[0].body) as? [String: Any])
                #expect(payload["type"] as? String == "rechargeSucceeded")
                #expect(payload["tenantId"] as? String == "northwind")
                #expect(payload["balanceMinor"] as? Int == (try await fixture.balanceMinor(client)))
                #expect((payload["data"] as? [String: Any])?["amountMinor"] as? Int == 2000)

                let deliveries = try await fixture.notifications(client).first?["deliveries"] as? [[String: Any]] ?? []
                let hook = deliveries.first { $0["channel"] as? String == "webhook" }
                #expect(hook?["state"] as? String == "delivered" && hook?["attempts"] as? Int == 3)
                let emails = deliveries.filter { $0["channel"] as? String == "email" }
                #expect(
                    emails.count == 2 && emails.allSatisfy { $0["state"] as? String == "delivered" && $0["keptInLocalMailbox"] as? Bool == true },
                    "no relay configured: kept in the local mailbox, said plainly, not retried"
                )
                #expect(hook?["keptInLocalMailbox"] as? Bool == false)
            }
        }
    }

    @Test("A failed webhook reads the same whatever was on the port: an answer of 404, a closed port, a name that resolves to a private address")
    func failuresTellNothingOfTheNetwork() async throws {
        let router = Router()
        router.post("hook") { _, _ in Response(status: .notFound) }
        try await Application(router: router).test(.live) { receiver in
            let closedPort = try Self.freePort()
            try await TestServer.run(testClock: true, settings: NotificationFixture.localWebhooks) { client, _ in
                try await fixture.northwind(client)
                for url in ["http://127.0.0.1:\(receiver.port!)/hook", "http://127.0.0.1:\(closedPort)/hook"] {
                    try await fixture.api.send(client, .post, "/v1/tenants/northwind/webhooks", #"{"url":"\#(url)"}"#, expect: .created)
                }
                try await fixture.longCall(client)
                var errors: [String] = []
                #expect(
                    try await NotificationFixture.waitUntil {
                        let deliveries = try await fixture.notifications(client).first?["deliveries"] as? [[String: Any]] ?? []
                        errors = deliveries.filter { $0["channel"] as? String == "webhook" }.compactMap { $0["lastError"] as? String }
                        return errors.count == 2
                    }
                )
                #expect(Set(errors) == ["The webhook did not accept the notification (no 2xx answer)."], "\(errors)")
            }
        }
    }

    /// A port nothing listens on: bound, read, then closed.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test("Registering a webhook refuses what is not a URL; removing one twice says it is gone")
    func webhookRefusals() async throws {
        try await TestServer.run { client, _ in
            try await fixture.api.createTenant(client, id: "northwind")
            for url in [
                "ftp://example.com/x", "example.com/hook", "https:///nohost", "http://hooks.example.com/", "https://127.0.0.1/",
                "https://localhost:8080/", "https://2130706433/", "https://169.254.169.254/latest", "https://user@hooks.example.com/",
                "https://[::1]/", "https://10.1.2.3/",
            ] {
                let refused = try await fixture.api.send(
                    client,
                    .post,
                    "/v1/tenants/northwind/webhooks",
                    #"{"url":"\#(url)"}"#,
                    expect: .unprocessableContent
                )
                #expect(refused["code"] as? String == "invalidUrl", "\(url)")
            }
            let made = try await fixture.api.send(
                client,
                .post,
                "/v1/tenants/northwind/webhooks",
                #"{"url":"https://hooks.example.com/a"}"#,
                expect: .created
            )
            let id = try #require(made["id"] as? String)
            try await fixture.api.send(client, .delete, "/v1/tenants/northwind/webhooks/\(id)", expect: .noContent)
            let again = try await fixture.api.send(client, .delete, "/v1/tenants/northwind/webhooks/\(id)", expect: .notFound)
            #expect(again["code"] as? String == "unknownWebhook")
            #expect((try await fixture.api.send(client, .get, "/v1/tenants/northwind/webhooks", expect: .ok)["webhooks"] as? [Any])?.isEmpty == true)
        }
    }

    /// Checks `t=...,v1=...` as a receiver would, with its own HMAC.
    static func verify(_ header: String, body: Data, secret: String) -> Bool {
        let fields = Dictionary(
            uniqueKeysWithValues: header.split(separator: ",").compactMap { part -> (String, String)? in
                let pair = part.split(separator: "=", maxSplits: 1)
                return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
            }
        )
        guard let timestamp = fields["t"], let signature = fields["v1"] else { return false }
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).".utf8) + body, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined() == signature
    }
}

/// What a webhook receiver got; it answers 500 to the first `failures` requests.
actor WebhookInbox {
    struct Delivery {
        let signature: String
        let eventId: String
        let body: Data
    }
    private(set) var received: [Delivery] = []
    private var failures: Int

    init(failures: Int) { self.failures = failures }

    func receive(signature: String, eventId: String, body: Data) -> HTTPResponse.Status {
        received.append(Delivery(signature: signature, eventId: eventId, body: body))
        guard failures > 0 else { return .ok }
        failures -= 1
        return .internalServerError
    }
}
