import CreditsCore
import Foundation
import Notifications
import Testing

/// The sender checks a webhook's address again as its name resolves when it sends.
@Suite struct WebhookSenderTests {
    let notification = CreditNotification(
        id: 1,
        tenantId: TenantId("northwind"),
        event: .rechargeSucceeded(rechargeId: 1, amountMinor: 100),
        occurredAt: Instant(millisecondsSinceEpoch: 0),
        currency: Currency(code: "USD")!,
        balanceMinor: 100
    )

    func webhook(_ url: String) -> Webhook {
        Webhook(id: "whk_1", tenantId: TenantId("northwind"), url: url, secret: "whsec_test", createdAt: Instant(millisecondsSinceEpoch: 0))
    }

    @Test func aNameThatResolvesToLoopbackIsNotSentTo() async throws {
        #expect(try await HostResolver.addresses(of: "localhost").allSatisfy { !IPAddress.isPublic($0) })
        // `localhost` itself is refused as written; a trailing dot is the same name to the resolver, refused as written too.
        let sender = WebhookSender(policy: WebhookAddress.Policy())
        await #expect(throws: DeliveryFailure.self) {
            try await sender.post(notification, summary: "", to: webhook("https://localhost/hook"), at: Instant(millisecondsSinceEpoch: 0))
        }
        // The machine's own name passes the written check, and resolves here to its own (private or loopback) address.
        let name = ProcessInfo.processInfo.hostName
        let resolved = try await HostResolver.addresses(of: name)
        guard !resolved.isEmpty, !resolved.contains(where: IPAddress.isPublic),
            (try? WebhookAddress.parse("https://\(name)/hook", policy: WebhookAddress.Policy())) != nil
        else { return }
        do {
            try await sender.post(notification, summary: "", to: webhook("https://\(name)/hook"), at: Instant(millisecondsSinceEpoch: 0))
            Issue.record("\(name) resolves to \(resolved), yet it was sent to")
        } catch let failure as DeliveryFailure {
            #expect(failure.description == WebhookSender.failureText)
            #expect(failure.detail?.contains("resolves to no public address") == true, "\(failure.detail ?? "")")
        }
    }

    @Test func unresolvableNamesFailTheSameWay() async throws {
        let sender = WebhookSender(policy: WebhookAddress.Policy())
        do {
            try await sender.post(notification, summary: "", to: webhook("https://no-such-host.invalid/hook"), at: Instant(millisecondsSinceEpoch: 0))
            Issue.record("sent to a name that does not resolve")
        } catch let failure as DeliveryFailure {
            #expect(failure.description == WebhookSender.failureText)
        }
    }
}
