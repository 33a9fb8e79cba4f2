import CreditsCore
import CreditsEngine
import CreditsStore
import Testing

/// The outbox in the real SQLite store: each event noted once, in the transaction of its change.
@Suite struct OutboxTests {
    func events(_ billing: Billing) async throws -> [CreditEvent] {
        try await billing.stores.notifications.notifications(for: billing.tenant, before: nil, limit: 100).reversed().map(\.notification.event)
    }

    @Test("The balance falling below the trigger and reaching zero are noted once each, even when a charge is sent again")
    func balanceAlertsOnce() async throws {
        let billing = try await Billing()
        try await billing.buy(
            1000,
            autoRecharge: try AutoRechargeSettings(enabled: false, rechargeAmountMinor: 2000, triggerAmountMinor: 500, currency: .usd)
        )
        let first = try await billing.service.charge(600, coverage: .availableOnly, to: billing.tenant, key: billing.key("c1"))
        _ = try await billing.service.charge(600, coverage: .availableOnly, to: billing.tenant, key: billing.key("c1"))
        _ = try await billing.service.charge(100, coverage: .availableOnly, to: billing.tenant, key: billing.key("c2"))
        await expectRefusal(.insufficientBalance) {
            try await billing.service.charge(900, coverage: .availableOnly, to: billing.tenant, key: billing.key("c3"))
        }
        let last = try await billing.service.charge(300, coverage: .availableOnly, to: billing.tenant, key: billing.key("c4"))
        _ = try await billing.service.charge(300, coverage: .availableOnly, to: billing.tenant, key: billing.key("c4"))
        #expect(
            try await events(billing) == [
                .balanceBelowTrigger(transactionId: first.transactionId, triggerMinor: 500),
                .balanceExhausted(transactionId: last.transactionId),
            ]
        )
        let notifications = try await billing.stores.notifications.unaddressed(limit: 10)
        #expect(notifications.map(\.balanceMinor) == [400, 0], "each with the balance it left")
        #expect(notifications.allSatisfy { $0.currency == .usd && $0.tenantId == billing.tenant })
    }

    @Test("A recharge is noted once when it succeeds, once when it fails, with the reason")
    func rechargesOnce() async throws {
        let billing = try await Billing()
        try await billing.buy(1000, autoRecharge: billing.autoRecharge(2000, below: 500))
        _ = try await billing.service.charge(600, coverage: .availableOnly, to: billing.tenant, key: billing.key("c1"))
        let succeeded = try #require(try await billing.service.runPendingRecharges().first)
        _ = try await billing.stores.billing.completeRecharge(id: succeeded.id, lotId: succeeded.lotId!, currency: .usd, at: billing.clock.now())
        #expect(try await events(billing) == [.rechargeSucceeded(rechargeId: succeeded.id, amountMinor: 2000)])
        #expect(try await billing.stores.notifications.unaddressed(limit: 10).first?.balanceMinor == 2400, "the balance with the new funds")

        _ = try await billing.service.setPaymentMethod(.card(token: "tok_chargeDeclined"), for: billing.tenant)
        _ = try await billing.service.charge(2000, coverage: .availableOnly, to: billing.tenant, key: billing.key("c2"))
        let failed = try #require(try await billing.service.runPendingRecharges().first)
        _ = try await billing.stores.billing.failRecharge(id: failed.id, reason: .cardDeclined, at: billing.clock.now())
        #expect(try await events(billing).dropFirst() == [.rechargeFailed(rechargeId: failed.id, amountMinor: 2000, reason: .cardDeclined)])
    }

    @Test("A lot is announced 30 and then 7 days before it expires, once each, and not once it has expired")
    func expiryNotices() async throws {
        let billing = try await Billing()
        let lot = try #require(try await billing.buy(1500).lotId)
        let expiresAt = Billing.start.adding(months: 12)
        for (daysBefore, noted) in [(31, 0), (30, 1), (29, 0), (8, 0), (7, 1), (1, 0)] {
            billing.clock.advance(to: expiresAt.adding(days: -Int64(daysBefore)))
            #expect(try await billing.stores.notifications.noteExpiringLots(at: billing.clock.now()) == noted, "\(daysBefore) days before")
        }
        billing.clock.advance(to: expiresAt)
        #expect(try await billing.stores.notifications.noteExpiringLots(at: billing.clock.now()) == 0)
        #expect(
            try await events(billing) == [
                .lotExpiring(lotId: lot, remainingMinor: 1500, expiresAt: expiresAt, daysAhead: 30),
                .lotExpiring(lotId: lot, remainingMinor: 1500, expiresAt: expiresAt, daysAhead: 7),
            ]
        )
    }

    @Test("The conferencing pool is noted at 80 and 100 percent, in the charge's transaction")
    func conferencingPool() async throws {
        let calls = try await Calls()
        try await calls.billing.buy(1000)
        try await calls.user("megan", [.enterpriseE5, .communicationsCredits])
        let month = CalendarMonth(of: calls.clock.now())
        _ = try await calls.service.record([calls.upload("c1", .conferenceOut, by: "megan", to: "+447700900123", duration: 2820)], for: calls.tenant)
        #expect(try await events(calls.billing) == [], "2,820 of 3,600 seconds is under 80 %")
        _ = try await calls.service.record([calls.upload("c2", .conferenceOut, by: "megan", to: "+447700900123", duration: 60)], for: calls.tenant)
        _ = try await calls.service.record([calls.upload("c3", .conferenceOut, by: "megan", to: "+447700900123", duration: 60)], for: calls.tenant)
        _ = try await calls.service.record([calls.upload("c4", .conferenceOut, by: "megan", to: "+447700900123", duration: 900)], for: calls.tenant)
        _ = try await calls.service.record([calls.upload("c4", .conferenceOut, by: "megan", to: "+447700900123", duration: 900)], for: calls.tenant)
        #expect(
            try await events(calls.billing) == [.conferencingPoolUsed(month: month, percent: 80), .conferencingPoolUsed(month: month, percent: 100)]
        )
    }

    @Test("A delivery is taken by one sender at a time, comes back when its sender dies, and ends delivered or failed")
    func deliveriesAreLeased() async throws {
        let billing = try await Billing()
        try await billing.buy(1000)
        _ = try await billing.service.charge(1000, coverage: .availableOnly, to: billing.tenant, key: billing.key("c1"))
        let outbox = billing.stores.notifications
        let notification = try #require(try await outbox.unaddressed(limit: 10).first)
        try await outbox.address(notification.id, to: [.email("a@fabrikam.com"), .email("b@fabrikam.com")], at: billing.clock.now())
        try await outbox.address(notification.id, to: [.email("c@fabrikam.com")], at: billing.clock.now())
        #expect(try await outbox.unaddressed(limit: 10).isEmpty)
        #expect(try await outbox.queuedCount() == 2, "addressed once: the second call changed nothing")

        let claimed = try await outbox.claimDueDeliveries(at: billing.clock.now(), limit: 10)
        #expect(claimed.map(\.recipient) == [.email("a@fabrikam.com"), .email("b@fabrikam.com")] && claimed.allSatisfy { $0.attempts == 1 })
        #expect(try await outbox.claimDueDeliveries(at: billing.clock.now(), limit: 10).isEmpty, "taken: nobody else sends them")
        try await outbox.recordDelivered(claimed[0].id, at: billing.clock.now())

        billing.clock.advance(to: billing.clock.now().adding(seconds: DeliveryPolicy.leaseSeconds))
        let again = try await outbox.claimDueDeliveries(at: billing.clock.now(), limit: 10)
        #expect(again.map(\.recipient) == [.email("b@fabrikam.com")] && again.first?.attempts == 2, "its sender died: taken up again")
        try await outbox.recordFailure(again[0].id, error: "550 no such user", retryAt: nil, at: billing.clock.now())
        billing.clock.advance(to: billing.clock.now().adding(days: 1))
        #expect(try await outbox.claimDueDeliveries(at: billing.clock.now(), limit: 10).isEmpty)
        #expect(try await outbox.queuedCount() == 0)
        let record = try #require(try await outbox.notifications(for: billing.tenant, before: nil, limit: 10).first)
        #expect(record.deliveries.map(\.state) == [.delivered, .failed])
        #expect(record.deliveries.last?.lastError == "550 no such user")
    }

    @Test("An email kept in the local mailbox is delivered once, readable by its own tenant only, and a repeat keeps nothing more")
    func localMailbox() async throws {
        let billing = try await Billing()
        try await billing.buy(1000)
        _ = try await billing.service.charge(1000, coverage: .availableOnly, to: billing.tenant, key: billing.key("c1"))
        let outbox = billing.stores.notifications
        let notification = try #require(try await outbox.unaddressed(limit: 10).first)
        try await outbox.address(notification.id, to: [.email("a@fabrikam.com")], at: billing.clock.now())
        let delivery = try #require(try await outbox.claimDueDeliveries(at: billing.clock.now(), limit: 10).first)
        let message = MailboxMessage(subject: "Fabrikam: used up", text: "The balance is now $0.00.", html: "<h1>Used up</h1>")
        try await outbox.keepInMailbox(delivery.id, message: message, at: billing.clock.now())
        try await outbox.keepInMailbox(delivery.id, message: MailboxMessage(subject: "again", text: "", html: ""), at: billing.clock.now())
        let kept = try await outbox.mailbox(of: billing.tenant, deliveryIds: [delivery.id, delivery.id + 1000])
        #expect(
            kept == [delivery.id: KeptMail(recipient: "a@fabrikam.com", keptAt: billing.clock.now(), message: message)],
            "the first message, once"
        )
        #expect(try await outbox.mailbox(of: TenantId("contoso"), deliveryIds: [delivery.id]).isEmpty, "another tenant reads nothing")
        #expect(try await outbox.mailbox(of: billing.tenant, deliveryIds: []).isEmpty)
        #expect(try await outbox.notifications(for: billing.tenant, before: nil, limit: 10).first?.deliveries.map(\.state) == [.delivered])
        #expect(try await outbox.queuedCount() == 0)
    }
}
