import CreditsCore
import CreditsEngine
import CreditsStore
import Payments
import Testing

@Suite("Auto-recharge")
struct AutoRechargeTests {
    /// A tenant with $100 bought by card and "recharge $50 when the balance falls below $20".
    func funded() async throws -> Billing {
        let billing = try await Billing()
        try await billing.buy(100_00, autoRecharge: billing.autoRecharge(50_00, below: 20_00))
        return billing
    }

    func charge(_ billing: Billing, _ amountMinor: Int64, _ key: String) async throws -> LedgerReceipt {
        try await billing.service.charge(amountMinor, coverage: .mayIncurDebt, to: billing.tenant, key: billing.key(key))
    }

    @Test("100 concurrent charges crossing the trigger start exactly one recharge, which adds one lot and one invoice")
    func concurrentCharges() async throws {
        let billing = try await funded()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<100 {
                group.addTask { _ = try await charge(billing, 90, "call-\(index)") }
            }
            try await group.waitForAll()
        }
        #expect(try await billing.balance().balanceMinor == 100_00 - 90_00)
        let pending = try await billing.stores.billing.pendingRecharges()
        #expect(pending.count == 1)
        #expect(billing.wakeUps.value == 1)
        let finished = try await billing.service.runPendingRecharges()
        #expect(finished.map(\.state) == [.succeeded])
        #expect(try await billing.balance().balanceMinor == 10_00 + 50_00)
        #expect(try await billing.lots().map(\.source) == [.purchase, .recharge])
        let invoices = try await billing.stores.billing.invoices(for: billing.tenant, before: nil, limit: 10)
        #expect(invoices.map(\.kind) == [.recharge, .purchase])
        #expect(await billing.gateway.charges.map(\.request.amountMinor) == [100_00, 50_00])
    }

    @Test("No recharge while the balance stays at or above the trigger")
    func aboveTrigger() async throws {
        let billing = try await funded()
        _ = try await charge(billing, 80_00, "a")
        #expect(try await billing.balance().balanceMinor == 20_00)
        #expect(try await billing.stores.billing.pendingRecharges().isEmpty)
        _ = try await charge(billing, 1, "b")
        #expect(try await billing.stores.billing.pendingRecharges().count == 1)
    }

    @Test("A restart in the middle of a recharge neither loses nor duplicates it")
    func restartMidRecharge() async throws {
        let billing = try await funded()
        _ = try await charge(billing, 95_00, "a")
        let pending = try #require(try await billing.stores.billing.pendingRecharges().first)
        // The gateway charged but its answer was lost, and the funds were added to the ledger;
        // then the process died before the recharge was marked done.
        await billing.gateway.loseAnswers(1)
        _ = try? await billing.gateway.charge(
            ChargeRequest(
                idempotencyKey: pending.gatewayKey,
                token: "tok_visa",
                amountMinor: pending.amountMinor,
                currency: .usd,
                description: ""
            )
        )
        _ = try await billing.stores.ledger.execute(
            LedgerRequest(key: pending.ledgerKey, command: .addFunds(source: .recharge, amountMinor: 50_00)),
            for: billing.tenant,
            at: billing.clock.now()
        )
        let restarted = try await billing.restarted()
        // Charges after the restart do not start a second one while the first is in flight.
        _ = try await charge(restarted, 1, "b")
        #expect(try await restarted.stores.billing.pendingRecharges().map(\.id) == [pending.id])
        let finished = try await restarted.service.runPendingRecharges()
        #expect(finished.map(\.state) == [.succeeded])
        #expect(try await restarted.service.runPendingRecharges().isEmpty)
        #expect(await billing.gateway.charges.count == 2)  // the purchase and one recharge
        #expect(try await restarted.lots().count == 2)
        #expect(try await restarted.balance().balanceMinor == 5_00 - 1 + 50_00)
        #expect(try await restarted.stores.billing.invoices(for: billing.tenant, before: nil, limit: 10).count == 2)
    }

    @Test("A failed recharge adds nothing, is reported with its reason, and none is tried for an hour")
    func failureBacksOff() async throws {
        let billing = try await funded()
        _ = try await billing.service.setPaymentMethod(.card(token: "tok_chargeDeclinedExpiredCard"), for: billing.tenant)
        _ = try await charge(billing, 90_00, "a")
        let failed = try await billing.service.runPendingRecharges()
        #expect(failed.map(\.state) == [.failed])
        #expect(failed.first?.failure == .cardExpired)
        #expect(try await billing.balance().balanceMinor == 10_00)
        billing.clock.advance(seconds: 3599)
        _ = try await charge(billing, 1, "b")
        #expect(try await billing.stores.billing.pendingRecharges().isEmpty)
        _ = try await billing.service.setPaymentMethod(.card(token: "tok_visa"), for: billing.tenant)
        billing.clock.advance(seconds: 1)
        _ = try await charge(billing, 1, "c")
        #expect(try await billing.service.runPendingRecharges().map(\.state) == [.succeeded])
        let history = try await billing.stores.billing.recharges(for: billing.tenant, limit: 10)
        #expect(history.map(\.state) == [.succeeded, .failed])
    }

    @Test(
        "A gateway that never answers leaves the recharge pending, tried again under its key, and failed as unreachable after a day; nothing is charged"
    )
    func unreachableGateway() async throws {
        let billing = try await funded()
        _ = try await billing.service.setPaymentMethod(.card(token: "tok_gatewayTimeout"), for: billing.tenant)
        _ = try await charge(billing, 90_00, "a")
        #expect(try await billing.service.runPendingRecharges().map(\.state) == [.pending], "no answer is not a refusal")
        billing.clock.advance(seconds: 3600)
        #expect(try await billing.service.runPendingRecharges().map(\.state) == [.pending])
        billing.clock.advance(seconds: UnansweredPayment.retrySeconds)
        let given = try await billing.service.runPendingRecharges()
        #expect(given.map(\.state) == [.failed] && given.first?.failure == .gatewayUnavailable)
        #expect(await billing.gateway.charges.count == 1)
    }

    @Test("A recharge whose charges' answers were all lost for a day is settled by the provider's books: charged, so it succeeds, once")
    func lostAnswersForADay() async throws {
        let billing = try await funded()
        await billing.gateway.loseAnswers(3)
        _ = try await charge(billing, 90_00, "a")
        #expect(try await billing.service.runPendingRecharges().map(\.state) == [.pending], "the provider charged, but no answer came")
        billing.clock.advance(seconds: UnansweredPayment.retrySeconds)
        await billing.gateway.loseAnswers(3)
        #expect(try await billing.service.runPendingRecharges().map(\.state) == [.pending], "closing the key got no answer either")
        let settled = try await billing.service.runPendingRecharges()
        #expect(settled.map(\.state) == [.succeeded])
        #expect(await billing.gateway.charges.map(\.request.amountMinor) == [100_00, 50_00], "charged once, never again after the day")
        #expect(try await billing.balance().balanceMinor == 10_00 + 50_00)
    }

    @Test("More than three recharges in ten minutes is a burst: the fourth is stopped and recorded once")
    func burst() async throws {
        let billing = try await Billing()
        // Each recharge adds less than the trigger, so every charge sets off another.
        try await billing.buy(100_00, autoRecharge: billing.autoRecharge(1_00, below: 90_00))
        for round in 0..<6 {
            _ = try await charge(billing, 20_00, "charge-\(round)")
            try await billing.service.runPendingRecharges()
            billing.clock.advance(seconds: 60)
        }
        let history = try await billing.stores.billing.recharges(for: billing.tenant, limit: 20)
        #expect(history.filter { $0.state == .succeeded }.count == 3)
        #expect(history.filter { $0.state == .stopped }.count == 1)
        billing.clock.advance(seconds: 600)
        _ = try await charge(billing, 1, "later")
        #expect(try await billing.stores.billing.pendingRecharges().count == 1)
    }

    @Test("Turning auto-recharge off takes effect for the next charge")
    func turnedOff() async throws {
        let billing = try await funded()
        try await billing.service.setAutoRecharge(.off, for: billing.tenant)
        _ = try await charge(billing, 99_00, "a")
        #expect(try await billing.stores.billing.pendingRecharges().isEmpty)
    }

    @Test("Turning auto-recharge on below the trigger recharges at once; without a payment method on file it is refused")
    func turnedOnBelowTrigger() async throws {
        let fresh = try await Billing()
        await expectRefusal(.noPaymentMethod) { try await fresh.service.setAutoRecharge(fresh.autoRecharge(10_00, below: 5_00), for: fresh.tenant) }
        let billing = try await Billing()
        try await billing.buy(10_00)
        try await billing.service.setAutoRecharge(billing.autoRecharge(50_00, below: 20_00), for: billing.tenant)
        #expect(try await billing.service.runPendingRecharges().map(\.amountMinor) == [50_00])
    }

    @Test("Settings out of bounds are refused", arguments: [(Int64(0), Int64(10_00)), (10_00, 0), (-1, 10_00), (100_000_01, 10_00)])
    func bounds(recharge: Int64, trigger: Int64) async throws {
        #expect(throws: Refusal.self) {
            try AutoRechargeSettings(enabled: true, rechargeAmountMinor: recharge, triggerAmountMinor: trigger, currency: .usd)
        }
    }

    @Test("A recharge paid through an Enterprise Agreement needs no gateway and is invoiced to the agreement")
    func agreementRecharge() async throws {
        let billing = try await Billing(channel: .volumeLicensing, agreements: [("EA-1", "US")])
        let autoRecharge = billing.autoRecharge(50_00, below: 20_00)
        _ = try await billing.service.purchase(
            PurchaseOrder(
                amountMinor: 30_00,
                payment: .agreement(number: "EA-1", purchaseOrder: nil),
                autoRecharge: autoRecharge
            ),
            for: billing.tenant,
            key: billing.key("a")
        )
        _ = try await charge(billing, 20_00, "b")
        let finished = try await billing.service.runPendingRecharges()
        #expect(finished.map(\.state) == [.succeeded])
        let invoice = try #require(try await billing.stores.billing.invoice(finished[0].invoiceId!, for: billing.tenant))
        #expect(invoice.paymentMethod == .agreement(number: "EA-1", purchaseOrder: nil))
        #expect(await billing.gateway.requestCount == 0)
    }

    @Test("A post-usage tenant left with auto-recharge on keeps refilling, and the status says why post-usage has not started")
    func postUsageWarning() async throws {
        let billing = try await funded()
        _ = try await billing.directoryService.updateTenant(billing.tenant, commerceModel: .nce)
        let settings = try await billing.stores.billing.settings(for: billing.tenant).autoRecharge
        let status = PostUsageStatus(commerceModel: .nce, balanceMinor: 0, autoRecharge: settings)
        #expect(!status.active)
        #expect(status.reason == .autoRechargeOn)
        _ = try await charge(billing, 90_00, "a")
        #expect(try await billing.service.runPendingRecharges().map(\.state) == [.succeeded])
        try await billing.service.setAutoRecharge(.off, for: billing.tenant)
        #expect(PostUsageStatus(commerceModel: .nce, balanceMinor: 0, autoRecharge: .off).active)
    }
}
