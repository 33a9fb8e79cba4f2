public import CreditsCore
public import CreditsStore
public import Logging
public import Payments

/// Buying credits and recharging them (`DOMAIN.md` section 4). A purchase or a recharge is
/// recorded before the card is charged, charged under its own key at the gateway, and added to
/// the ledger under its own key: each step can run again after a crash and changes nothing twice.
public struct BillingService: Sendable {
    let stores: Stores
    let directory: DirectoryService
    let gateway: any PaymentGateway
    let clock: any CreditsClock
    let logger: Logger
    /// Wakes the worker that runs recharges (`AutoRechargeService`).
    let rechargeStarted: @Sendable () -> Void

    public init(
        stores: Stores,
        gateway: any PaymentGateway,
        clock: any CreditsClock,
        logger: Logger,
        rechargeStarted: @escaping @Sendable () -> Void = {}
    ) {
        self.stores = stores
        directory = DirectoryService(stores: stores, clock: clock)
        self.gateway = gateway
        self.clock = clock
        self.logger = logger
        self.rechargeStarted = rechargeStarted
    }

    /// Nil when the tenant may buy paying this way, else the refusal of `DOMAIN.md` section 2.
    public func eligibility(of tenantId: TenantId, agreementNumber: String? = nil) async throws -> Refusal? {
        let tenant = try await directory.tenant(tenantId)
        let agreement = try agreementNumber.map { number throws(Refusal) in try tenant.agreement(numbered: number) }
        return PurchaseEligibility.refusal(for: tenant, payingWith: agreement)
    }

    /// Buys credits: a new lot and an invoice. The same key with the same order returns the
    /// first outcome; with another order it is refused (`idempotencyConflict`).
    public func purchase(_ order: PurchaseOrder, for tenantId: TenantId, key: IdempotencyKey) async throws -> PurchaseRecord {
        let tenant = try await directory.tenant(tenantId)
        // A repeat gets the first answer, even if the tenant could not buy today.
        var record = try await stores.billing.purchase(for: tenantId, key: key)
        if record == nil {
            let method = try await paymentMethod(order.payment, for: tenant)
            try PurchaseLimits.checkAmount(order.amountMinor, tenant.currency)
            record = try await stores.billing.beginPurchase(
                NewPurchase(
                    tenantId: tenantId,
                    idempotencyKey: key,
                    fingerprint: order.fingerprint,
                    amountMinor: order.amountMinor,
                    paymentMethod: method,
                    autoRecharge: order.autoRecharge,
                    createdAt: clock.now()
                )
            )
        }
        guard let record, record.request.fingerprint == order.fingerprint else { throw LedgerError.idempotencyConflict(key) }
        let finished = try await finish(record, currency: tenant.currency)
        if let failure = finished.failure { throw failure.error }
        // Still pending: the provider did not answer, and the charge is tried again later.
        if finished.state == .pending { throw PaymentFailureReason.gatewayUnavailable.error }
        return finished
    }

    /// Changes the auto-recharge settings; turning them on needs a payment method on file and a
    /// tenant that may buy. Takes effect for the next charge, and at once if the balance is
    /// already below the new trigger.
    public func setAutoRecharge(_ settings: AutoRechargeSettings, for tenantId: TenantId) async throws {
        let tenant = try await directory.tenant(tenantId)
        if settings.enabled {
            let onFile = try await stores.billing.settings(for: tenantId).paymentMethod
            guard let onFile else { throw PaymentFailureReason.noPaymentMethod.error }
            let agreement = try Self.agreement(of: onFile).map { number throws(Refusal) in try tenant.agreement(numbered: number) }
            if let refusal = PurchaseEligibility.refusal(for: tenant, payingWith: agreement) { throw refusal }
        }
        let now = clock.now()
        let before = try await stores.billing.settings(for: tenantId).autoRecharge
        try await stores.billing.saveAutoRecharge(settings, for: tenantId, at: now)
        guard AutoRechargeSettings.needsJudgement(from: before, to: settings) else { return }
        try await considerRecharge(of: tenantId, balanceMinor: stores.ledger.statement(for: tenantId, at: now).figures.balanceMinor)
    }

    /// The balance, when saving `settings` would start a recharge at once (`DOMAIN.md` section
    /// 4: turned on or the trigger raised, with the balance below the trigger); nil otherwise.
    public func balanceRechargingAtOnce(if settings: AutoRechargeSettings, for tenantId: TenantId) async throws -> Int64? {
        let before = try await stores.billing.settings(for: tenantId).autoRecharge
        guard AutoRechargeSettings.needsJudgement(from: before, to: settings) else { return nil }
        let balance = try await stores.ledger.statement(for: tenantId, at: clock.now()).figures.balanceMinor
        return settings.wantsRecharge(atBalance: balance) ? balance : nil
    }

    /// Keeps a new payment method on file for the next recharges: a card the gateway knows, or
    /// one of the tenant's agreements.
    public func setPaymentMethod(_ payment: PurchaseOrder.Payment, for tenantId: TenantId) async throws -> PaymentMethod {
        let tenant = try await directory.tenant(tenantId)
        let method = try await paymentMethod(payment, for: tenant)
        try await stores.billing.savePaymentMethod(method, for: tenantId, at: clock.now())
        return method
    }

    /// Whether cards go to the sandbox provider (the demo's), whose test numbers a page may list.
    public var takesSandboxCards: Bool { gateway is SandboxPaymentGateway }

    /// Hands a card as typed to the payment provider and keeps the card it answers as the
    /// payment method on file; the number goes no further than the provider.
    public func setCard(_ card: CardEntry, for tenantId: TenantId) async throws -> PaymentMethod {
        try await setPaymentMethod(.card(token: cardToken(card)), for: tenantId)
    }

    /// The payment provider's token for a card as typed, to pay with; the number goes no further.
    public func cardToken(_ card: CardEntry) async throws(Refusal) -> String {
        do {
            return try await gateway.token(for: card)
        } catch {
            throw Refusal(
                .cardNotAccepted,
                detail: "The payment provider does not accept this card.",
                remedy: "Check the number, or use another card."
            )
        }
    }

    /// Spends credits at once (a call record, say), then judges auto-recharge on the new balance.
    public func charge(_ amountMinor: Int64, coverage: ChargeCoverage, to tenantId: TenantId, key: IdempotencyKey) async throws -> LedgerReceipt {
        let receipt = try await stores.ledger.execute(
            LedgerRequest(key: key, command: .charge(amountMinor: amountMinor, coverage: coverage)),
            for: tenantId,
            at: clock.now()
        )
        try await considerRecharge(of: tenantId, balanceMinor: receipt.balanceAfterMinor)
        return receipt
    }

    /// Starts a recharge when the balance is below the trigger (one in flight per tenant, with
    /// back-off and burst limits: `RechargePolicy`), and wakes the worker that runs it.
    /// `balanceMinor`, what the caller saw, spares a write when it is above the trigger; the
    /// store judges on the balance it finds.
    public func considerRecharge(of tenantId: TenantId, balanceMinor: Int64) async throws {
        let settings = try await stores.billing.settings(for: tenantId).autoRecharge
        guard settings.wantsRecharge(atBalance: balanceMinor) else { return }
        let (decision, recharge) = try await stores.billing.startRecharge(for: tenantId, at: clock.now())
        follow(RechargePolicy.Judgement(decision: decision, recharge: recharge), of: tenantId)
    }

    /// Acts on a judgement a store made: a recharge started is run now; a burst stop is logged.
    public func follow(_ judgement: RechargePolicy.Judgement, of tenantId: TenantId) {
        let (decision, recharge) = (judgement.decision, judgement.recharge)
        switch decision {
        case .start: rechargeStarted()
        case .burstStopped where recharge != nil:
            logger.error(
                "Auto-recharge stopped: more than \(RechargePolicy.burstLimit) recharges in \(RechargePolicy.burstWindowSeconds / 60) minutes",
                metadata: ["tenant": "\(tenantId)"]
            )
        case let .capReached(cap):
            logger.debug(
                "Auto-recharge paused: this month's recharges reached the monthly cap",
                metadata: ["tenant": "\(tenantId)", "capMinor": "\(cap)"]
            )
        default: break
        }
    }

    /// Runs every recharge in flight to its end, or leaves it pending when the provider does not
    /// answer (tried again next round); returns each as it stands. One instance at a time:
    /// another waits, then finds what is left.
    @discardableResult
    public func runPendingRecharges() async throws -> [RechargeRecord] {
        try await stores.locks.withLock("recharges") {
            var finished: [RechargeRecord] = []
            for recharge in try await stores.billing.pendingRecharges() {
                finished.append(try await run(recharge))
            }
            return finished
        }
    }

    /// Finishes purchases interrupted (by a crash, or a provider that did not answer) more than
    /// `age` seconds ago; one whose charge again gets no answer stays pending for the next round.
    @discardableResult
    public func resumeInterruptedPurchases(olderThanSeconds age: Int64 = 60) async throws -> [PurchaseRecord] {
        var finished: [PurchaseRecord] = []
        for purchase in try await stores.billing.pendingPurchases(before: clock.now().adding(seconds: -age)) {
            let tenant = try await directory.tenant(purchase.request.tenantId)
            let resumed = try await finish(purchase, currency: tenant.currency)
            if resumed.state != .pending { finished.append(resumed) }
        }
        return finished
    }

    /// Charges and credits a pending purchase; returns it as it stands: ended, or still pending
    /// when the provider did not answer.
    private func finish(_ purchase: PurchaseRecord, currency: Currency) async throws -> PurchaseRecord {
        guard purchase.state == .pending else { return purchase }
        if case let .card(card) = purchase.request.paymentMethod {
            let request = ChargeRequest(
                idempotencyKey: purchase.gatewayKey,
                token: card.token,
                amountMinor: purchase.request.amountMinor,
                currency: currency,
                description: "Communications Credits purchase \(purchase.id)"
            )
            switch await gateway.settle(request, mayCharge: mayCharge(since: purchase.request.createdAt)) {
            case .charged: break
            case .unanswered: return purchase
            case let .failed(reason):
                logger.notice(
                    "Purchase not paid",
                    metadata: ["tenant": "\(purchase.request.tenantId)", "purchase": "\(purchase.id)", "reason": "\(reason)"]
                )
                return try await stores.billing.failPurchase(id: purchase.id, reason: reason)
            }
        }
        let receipt = try await stores.ledger.execute(
            LedgerRequest(key: purchase.ledgerKey, command: .addFunds(source: .purchase, amountMinor: purchase.request.amountMinor)),
            for: purchase.request.tenantId,
            at: clock.now()
        )
        return try await stores.billing.completePurchase(id: purchase.id, lotId: receipt.lotId!, currency: currency, at: receipt.occurredAt)
    }

    private func run(_ recharge: RechargeRecord) async throws -> RechargeRecord {
        let tenant = try await directory.tenant(recharge.tenantId)
        guard let method = recharge.paymentMethod else {
            return try await fail(recharge, .noPaymentMethod)
        }
        if case let .card(card) = method {
            let request = ChargeRequest(
                idempotencyKey: recharge.gatewayKey,
                token: card.token,
                amountMinor: recharge.amountMinor,
                currency: tenant.currency,
                description: "Communications Credits auto-recharge \(recharge.id)"
            )
            switch await gateway.settle(request, mayCharge: mayCharge(since: recharge.startedAt)) {
            case .charged: break
            case .unanswered: return recharge
            case let .failed(reason): return try await fail(recharge, reason)
            }
        }
        let receipt = try await stores.ledger.execute(
            LedgerRequest(key: recharge.ledgerKey, command: .addFunds(source: .recharge, amountMinor: recharge.amountMinor)),
            for: recharge.tenantId,
            at: clock.now()
        )
        EngineMetrics.recharged(succeeded: true)
        logger.info("Auto-recharge added funds", metadata: ["tenant": "\(recharge.tenantId)", "amountMinor": "\(recharge.amountMinor)"])
        return try await stores.billing.completeRecharge(id: recharge.id, lotId: receipt.lotId!, currency: tenant.currency, at: receipt.occurredAt)
    }

    private func fail(_ recharge: RechargeRecord, _ reason: PaymentFailureReason) async throws -> RechargeRecord {
        EngineMetrics.recharged(succeeded: false, reason: reason.rawValue)
        logger.warning(
            "Auto-recharge failed; the next try waits \(RechargePolicy.backOffSeconds / 60) minutes",
            metadata: ["tenant": "\(recharge.tenantId)", "recharge": "\(recharge.id)", "reason": "\(reason)"]
        )
        return try await stores.billing.failRecharge(id: recharge.id, reason: reason, at: clock.now())
    }

    private func mayCharge(since start: Instant) -> Bool {
        UnansweredPayment.mayCharge(since: start, at: clock.now())
    }

    /// The payment method an order names, if the tenant may buy paying that way.
    private func paymentMethod(_ payment: PurchaseOrder.Payment, for tenant: Tenant) async throws -> PaymentMethod {
        switch payment {
        case let .card(token):
            if let refusal = PurchaseEligibility.refusal(for: tenant, payingWith: nil) { throw refusal }
            do throws(PaymentGatewayError) {
                return .card(try await gateway.card(forToken: token))
            } catch {
                throw Refusal(
                    .unknownCardToken,
                    detail: "The payment provider does not know the card token '\(token)'.",
                    remedy: "Enter the card again to get a new token."
                )
            }
        case let .agreement(number, purchaseOrder):
            let agreement = try tenant.agreement(numbered: number)
            if let refusal = PurchaseEligibility.refusal(for: tenant, payingWith: agreement) { throw refusal }
            return .agreement(number: number, purchaseOrder: try PaymentMethod.checkedPurchaseOrder(purchaseOrder))
        }
    }

    private static func agreement(of method: PaymentMethod) -> String? {
        if case let .agreement(number, _) = method { return number }
        return nil
    }
}
