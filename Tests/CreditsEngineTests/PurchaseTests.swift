import CreditsCore
import CreditsEngine
import CreditsStore
import Payments
import Testing

@Suite("Buying credits")
struct PurchaseTests {
    @Test("A card purchase adds a lot, issues an invoice and keeps the card on file")
    func cardPurchase() async throws {
        let billing = try await Billing()
        let purchase = try await billing.buy(250_00, autoRecharge: billing.autoRecharge(50_00, below: 20_00))
        #expect(purchase.state == .completed)
        let lots = try await billing.lots()
        #expect(lots.map(\.amountMinor) == [250_00])
        #expect(lots.first?.id == purchase.lotId)
        #expect(lots.first?.expiresAt == Billing.start.adding(months: 12))
        let invoices = try await billing.stores.billing.invoices(for: billing.tenant, before: nil, limit: 10)
        #expect(invoices.count == 1)
        #expect(invoices.first?.id == purchase.invoiceId)
        #expect(invoices.first?.amountMinor == 250_00)
        #expect(invoices.first?.kind == .purchase)
        #expect(invoices.first?.paymentMethod.description == "Visa ending 4242 (12/2034)")
        #expect(invoices.first?.number == "CC-2027-000001")
        let settings = try await billing.stores.billing.settings(for: billing.tenant)
        #expect(settings.autoRecharge == billing.autoRecharge(50_00, below: 20_00))
        #expect(await billing.gateway.charges.count == 1)
    }

    @Test("The same key with the same order returns the first purchase; with another order it is refused")
    func idempotentPurchase() async throws {
        let billing = try await Billing()
        let first = try await billing.buy(100_00, key: "order-1")
        let again = try await billing.buy(100_00, key: "order-1")
        #expect(again == first)
        await expectRefusal(.idempotencyConflict) { try await billing.buy(200_00, key: "order-1") }
        // Still the first answer after the tenant moved to post-usage billing, which buys no more.
        _ = try await billing.directoryService.updateTenant(billing.tenant, commerceModel: .nce)
        #expect(try await billing.buy(100_00, key: "order-1") == first)
        await expectRefusal(.purchaseNotAllowedPostUsage) { try await billing.buy(100_00, key: "order-2") }
        #expect(try await billing.lots().count == 1)
        #expect(await billing.gateway.charges.count == 1)
    }

    @Test(
        "Declined and expired cards add nothing, and a repeat gets the same answer without charging again",
        arguments: [("tok_chargeDeclined", ProblemCode.paymentDeclined), ("tok_chargeDeclinedExpiredCard", .paymentCardExpired)]
    )
    func refusedCards(token: String, code: ProblemCode) async throws {
        let billing = try await Billing()
        await expectRefusal(code) { try await billing.buy(100_00, token: token, key: "k") }
        await expectRefusal(code) { try await billing.buy(100_00, token: token, key: "k") }
        #expect(try await billing.lots().isEmpty)
        #expect(try await billing.stores.billing.invoices(for: billing.tenant, before: nil, limit: 10).isEmpty)
        #expect(await billing.gateway.requestCount == 1)
        #expect(try await billing.stores.billing.settings(for: billing.tenant).paymentMethod == nil)
    }

    @Test("A gateway that never answers is retried under one key, charges nothing and adds nothing")
    func gatewayTimeout() async throws {
        let billing = try await Billing()
        await expectRefusal(.paymentGatewayUnavailable) { try await billing.buy(100_00, token: "tok_gatewayTimeout") }
        #expect(await billing.gateway.requestCount == 3)
        #expect(await billing.gateway.charges.isEmpty)
        #expect(try await billing.lots().isEmpty)
    }

    @Test("An answer lost after the provider charged is recovered by the retry under the same key: one charge, one lot")
    func lostAnswer() async throws {
        let billing = try await Billing()
        await billing.gateway.loseAnswers(2)
        let purchase = try await billing.buy(100_00)
        #expect(purchase.state == .completed)
        #expect(await billing.gateway.charges.count == 1)
        #expect(await billing.gateway.requestCount == 3)
        #expect(try await billing.lots().count == 1)
    }

    @Test(
        "Every answer lost after the provider charged: the purchase stays pending, not failed, and the due work finishes it under the same key: one charge, one lot"
    )
    func everyAnswerLost() async throws {
        let billing = try await Billing()
        await billing.gateway.loseAnswers(3)
        await expectRefusal(.paymentGatewayUnavailable) { try await billing.buy(100_00, key: "lost") }
        #expect(try await billing.stores.billing.purchase(for: billing.tenant, key: billing.key("lost"))?.state == .pending)
        #expect(await billing.gateway.charges.count == 1, "the provider charged")
        billing.clock.advance(seconds: 61)
        #expect(try await billing.service.resumeInterruptedPurchases().map(\.state) == [.completed])
        #expect(await billing.gateway.charges.count == 1)
        #expect(try await billing.lots().map(\.amountMinor) == [100_00])
    }

    @Test("A provider that never answers: the purchase is tried again under its key for a day, then failed; nothing charged")
    func gatewayTimeoutForADay() async throws {
        let billing = try await Billing()
        await expectRefusal(.paymentGatewayUnavailable) { try await billing.buy(100_00, token: "tok_gatewayTimeout", key: "silent") }
        billing.clock.advance(seconds: 3600)
        #expect(try await billing.service.resumeInterruptedPurchases().isEmpty, "still pending")
        billing.clock.advance(seconds: UnansweredPayment.retrySeconds)
        let given = try await billing.service.resumeInterruptedPurchases()
        #expect(given.map(\.state) == [.failed] && given.first?.failure == .gatewayUnavailable)
        #expect(await billing.gateway.charges.isEmpty)
        #expect(try await billing.lots().isEmpty)
    }

    @Test("A purchase whose answers were lost for a day is settled by closing its key: the provider charged, so it completes, with one lot")
    func lostAnswersForADay() async throws {
        let billing = try await Billing()
        await billing.gateway.loseAnswers(3)
        await expectRefusal(.paymentGatewayUnavailable) { try await billing.buy(100_00, key: "lost") }
        billing.clock.advance(seconds: UnansweredPayment.retrySeconds)
        await billing.gateway.loseAnswers(3)
        #expect(try await billing.service.resumeInterruptedPurchases().isEmpty, "no answer to the close: still pending")
        #expect(try await billing.service.resumeInterruptedPurchases().map(\.state) == [.completed])
        #expect(await billing.gateway.charges.count == 1)
        #expect(try await billing.lots().map(\.amountMinor) == [100_00])
    }

    @Test("The sandbox provider refuses a charge under a key closed with nothing charged, and answers a closed charged key with its charge")
    func sandboxClosesKeys() async throws {
        let gateway = SandboxPaymentGateway()
        let request = { (key: String) in ChargeRequest(idempotencyKey: key, token: "tok_visa", amountMinor: 5_00, currency: .usd, description: "test")
        }
        #expect(try await gateway.close(idempotencyKey: "never") == nil)
        await #expect(throws: PaymentGatewayError.refused(.gatewayUnavailable)) { try await gateway.charge(request("never")) }
        let receipt = try await gateway.charge(request("paid"))
        #expect(try await gateway.close(idempotencyKey: "paid") == receipt)
        #expect(await gateway.charges.count == 1)
    }

    @Test("Amounts outside 1 to 100,000 currency units are refused", arguments: [Int64(0), -5, 99, 100_000_01, Int64.max])
    func amountBounds(amountMinor: Int64) async throws {
        let billing = try await Billing()
        await expectRefusal(.invalidAmount) { try await billing.buy(amountMinor) }
        #expect(try await billing.lots().isEmpty)
        #expect(await billing.gateway.requestCount == 0)
    }

    @Test("An unknown card token is refused before anything is recorded")
    func unknownToken() async throws {
        let billing = try await Billing()
        await expectRefusal(.unknownCardToken) { try await billing.buy(100_00, token: "tok_nonsense", key: "k") }
        // The key was not used up: the corrected order goes through under it.
        #expect(try await billing.buy(100_00, key: "k").state == .completed)
    }

    @Test("Post-usage and CSP tenants cannot buy; each refusal says what to do")
    func ineligibleTenants() async throws {
        for (channel, model, code) in [
            (SalesChannel.webDirect, CommerceModel.nce, ProblemCode.purchaseNotAllowedPostUsage),
            (.webDirect, .mca, .purchaseNotAllowedPostUsage),
            (.csp, .classic, .purchaseNotAllowedCsp),
        ] {
            let billing = try await Billing(channel: channel, commerceModel: model)
            let refusal = await expectRefusal(code) { try await billing.buy(100_00) }
            #expect(refusal?.remedy?.isEmpty == false)
            #expect(try await billing.service.eligibility(of: billing.tenant)?.code == code)
            #expect(await billing.gateway.requestCount == 0)
        }
    }

    @Test("An Enterprise Agreement billed to another country is refused; one billed to the organization's country pays, with its PO number")
    func agreements() async throws {
        let billing = try await Billing(channel: .volumeLicensing, country: "DE", agreements: [("EA-1", "DE"), ("EA-2", "FR")])
        let order = { (number: String, po: String?) in
            PurchaseOrder(amountMinor: 500_00, payment: .agreement(number: number, purchaseOrder: po), autoRecharge: nil)
        }
        await expectRefusal(.purchaseNotAllowedRegionConflict) {
            try await billing.service.purchase(order("EA-2", nil), for: billing.tenant, key: billing.key("a"))
        }
        await expectRefusal(.unknownAgreement) {
            try await billing.service.purchase(order("EA-9", nil), for: billing.tenant, key: billing.key("b"))
        }
        await expectRefusal(.invalidPurchaseOrder) {
            try await billing.service.purchase(order("EA-1", String(repeating: "9", count: 65)), for: billing.tenant, key: billing.key("c"))
        }
        let purchase = try await billing.service.purchase(order("EA-1", "PO-77"), for: billing.tenant, key: billing.key("d"))
        let invoice = try #require(try await billing.stores.billing.invoice(purchase.invoiceId!, for: billing.tenant))
        #expect(invoice.paymentMethod.description == "Enterprise Agreement EA-1 (PO PO-77)")
        #expect(await billing.gateway.requestCount == 0)
        #expect(try await billing.service.eligibility(of: billing.tenant, agreementNumber: "EA-2")?.code == .purchaseNotAllowedRegionConflict)
        #expect(try await billing.service.eligibility(of: billing.tenant, agreementNumber: "EA-1") == nil)
        #expect(try await billing.service.eligibility(of: billing.tenant) == nil, "a card, while one agreement bills at home")
    }

    @Test("A Volume Licensing tenant none of whose agreements bills to its country cannot buy by card either")
    func cardDoesNotLiftARegionConflict() async throws {
        let billing = try await Billing(channel: .volumeLicensing, country: "DE", agreements: [("EA-7", "FR")])
        #expect(try await billing.service.eligibility(of: billing.tenant)?.code == .purchaseNotAllowedRegionConflict)
        await expectRefusal(.purchaseNotAllowedRegionConflict) { try await billing.buy(10_00) }
        #expect(await billing.gateway.requestCount == 0, "the card was never charged")
    }

    @Test("A purchase interrupted after the charge is finished on restart: one charge, one lot, one invoice")
    func interruptedPurchase() async throws {
        let billing = try await Billing()
        // The purchase is recorded and the card charged, then the process dies.
        let record = try await billing.stores.billing.beginPurchase(
            NewPurchase(
                tenantId: billing.tenant,
                idempotencyKey: billing.key("k"),
                fingerprint: "f",
                amountMinor: 100_00,
                paymentMethod: .card(try await billing.gateway.card(forToken: "tok_visa")),
                autoRecharge: nil,
                createdAt: billing.clock.now()
            )
        )
        _ = try await billing.gateway.charge(
            ChargeRequest(
                idempotencyKey: record.gatewayKey,
                token: "tok_visa",
                amountMinor: 100_00,
                currency: .usd,
                description: ""
            )
        )
        let restarted = try await billing.restarted()
        #expect(try await restarted.service.resumeInterruptedPurchases().isEmpty)  // not yet stale: may still be running
        restarted.clock.advance(seconds: 120)
        let finished = try await restarted.service.resumeInterruptedPurchases()
        #expect(finished.map(\.state) == [.completed])
        #expect(try await restarted.service.resumeInterruptedPurchases().isEmpty)
        #expect(await billing.gateway.charges.count == 1)
        #expect(try await restarted.lots().count == 1)
        #expect(try await restarted.stores.billing.invoices(for: billing.tenant, before: nil, limit: 10).count == 1)
    }
}
