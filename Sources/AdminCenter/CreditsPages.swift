import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Hummingbird
import Reports

/// Billing > Your products > Communications Credits: the balance, its lots, 90 days drawn, the
/// auto-recharge settings, the funding advice, transactions and invoices, and banners for what
/// needs attention.
struct CreditsPages {
    static let transactionsPerPage = 20

    let pages: PageRenderer
    let billing: BillingService
    let directory: DirectoryService
    let controls: CallControlService
    let records: AccountRecords
    let clock: any CreditsClock

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("billing/credits") { request, context in
            let transactionsBefore = request.uri.queryParameters.get("transactionsBefore").flatMap { Int64($0) }.map(TransactionId.init)
            return try await page(
                context,
                saved: request.uri.queryParameters.get("saved") != nil,
                bought: request.uri.queryParameters.get("bought") != nil,
                resumed: request.uri.queryParameters.get("resumed") != nil,
                transactionsBefore: transactionsBefore
            )
        }
        router.post("billing/credits/auto-recharge") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let tenantId = try context.administrator(may: .buy).tenantId
            let tenant = try await directory.tenant(tenantId)
            do {
                let settings = try AutoRechargeSettings(
                    enabled: form["enabled"] == "on",
                    rechargeAmountMinor: try Self.amount(form["rechargeAmount"], tenant.currency, "Recharge with"),
                    triggerAmountMinor: try Self.amount(form["triggerAmount"], tenant.currency, "When the balance falls below"),
                    currency: tenant.currency
                )
                if form["confirmed"] != "yes", let balance = try await billing.balanceRechargingAtOnce(if: settings, for: tenantId) {
                    let text =
                        "The balance, \(MoneyText.forPeople(balance, tenant.currency)), is below the new trigger: saving these settings charges "
                        + "\(MoneyText.forPeople(settings.rechargeAmountMinor, tenant.currency)) to the payment method on file at once."
                    return try await page(
                        context,
                        confirmation: CreditsPage.Confirmation(
                            text: text,
                            enabled: settings.enabled,
                            rechargeAmount: form["rechargeAmount"] ?? "",
                            triggerAmount: form["triggerAmount"] ?? ""
                        )
                    )
                }
                try await billing.setAutoRecharge(settings, for: tenantId)
                return Response.redirect(to: "/admin/billing/credits?saved=1#billing-settings", type: .normal)
            } catch let error as Refusal {
                return try await page(
                    context,
                    settingsError: Self.words(error, enabled: form["enabled"] == "on", tenant.currency),
                    entered: (form["enabled"] == "on", form["rechargeAmount"] ?? "", form["triggerAmount"] ?? ""),
                    status: .unprocessableContent
                )
            }
        }
    }

    private func page(
        _ context: APIRequestContext,
        saved: Bool = false,
        bought: Bool = false,
        resumed: Bool = false,
        transactionsBefore: TransactionId? = nil,
        settingsError: String? = nil,
        entered: (Bool, String, String)? = nil,
        confirmation: CreditsPage.Confirmation? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let (principal, tenantId) = try context.administrator(may: .readBilling)
        let tenant = try await directory.tenant(tenantId)
        let now = clock.now()
        let statement = try await records.statement(of: tenantId, at: now)
        let settings = try await records.billingSettings(of: tenantId)
        let history = try await records.balanceHistory(of: tenantId, days: 90, endingAt: now)
        let listed = try await records.transactions(of: tenantId, before: transactionsBefore, limit: Self.transactionsPerPage + 1)
        let invoices = try await records.invoices(of: tenantId, before: nil, limit: 5)
        let recharges = try await records.recharges(of: tenantId, limit: 10)
        var page = CreditsPage(
            tenant: tenant,
            statement: statement,
            settings: settings.autoRecharge,
            history: history,
            transactions: listed.prefix(Self.transactionsPerPage),
            invoices: invoices,
            recharges: recharges,
            canBuy: principal.permissions.contains(.buy),
            now: now,
            frame: PageFrame(context, tenantName: tenant.name)
        )
        page.saved = saved
        page.spendControls = try await Self.spendControlsNotes(controls, tenant)
        page.suspension = ControlPages.VelocityPanel(try await controls.velocityStatus(of: tenant.id), tenant.currency).suspension
        if listed.count > Self.transactionsPerPage, let last = listed.prefix(Self.transactionsPerPage).last {
            page.olderTransactionsLink = "/admin/billing/credits?transactionsBefore=\(last.receipt.transactionId)#transactions"
        }
        if transactionsBefore != nil { page.newestTransactionsLink = "/admin/billing/credits#transactions" }
        page.bought = bought
        page.resumed = resumed
        page.editing = saved
        page.settingsError = settingsError
        page.confirmation = confirmation
        if let refusal = PurchaseEligibility.refusal(for: tenant, payingWith: nil) {
            page.adviceNote = "Funding advice sizes purchases and auto-recharge, and this organization does not buy credits here: \(refusal.detail)"
        } else {
            page.advice = try await records.advisor.advice(for: tenant, at: now).map(AdvicePanel.init)
            if page.advice == nil { page.adviceNote = "Advice starts once there is a full day of history since the first purchase." }
        }
        if let (enabled, recharge, trigger) = entered {
            (page.autoRechargeOn, page.rechargeAmount, page.triggerAmount, page.editing) = (enabled, recharge, trigger, true)
        }
        return pages.render("credits", page, status: status)
    }

    /// What the spend controls hold back now: auto-recharge paused by its monthly cap, users at
    /// their monthly spend limit.
    static func spendControlsNotes(_ controls: CallControlService, _ tenant: Tenant) async throws -> [String] {
        var notes: [String] = []
        let money = { (minor: Int64) in MoneyText.forPeople(minor, tenant.currency) }
        if let cap = try await controls.rechargeCap(of: tenant.id), cap.paused {
            notes.append(
                "Auto-recharge is paused until \(ReadableDate.day(cap.month.start.adding(months: 1))): this month's recharges (\(money(cap.rechargedMinor))) "
                    + "leave no room for another under the monthly cap of \(money(cap.capMinor)). A purchase still works."
            )
        }
        let reached = try await controls.spendLimits(of: tenant.id).filter { $0.leftMinor == 0 }.count
        if reached > 0 {
            notes.append("\(reached) user\(reached == 1 ? " has" : "s have") reached their monthly spend limit: their credit-paid calls are refused.")
        }
        let units = try await controls.unitSpendLimits(of: tenant.id).filter { $0.leftMinor == 0 }.map(\.spend.slot.spender.name)
        if !units.isEmpty {
            notes.append(
                "The monthly spend limit of \(units.count == 1 ? "administrative unit" : "administrative units") \(ControlPages.list(units)) "
                    + "is reached: the credit-paid calls of \(units.count == 1 ? "its" : "their") users are refused."
            )
        }
        return notes
    }

    /// A refusal of the auto-recharge form in the form's words: the API's speak of minor units.
    static func words(_ error: Refusal, enabled: Bool, _ currency: Currency) -> String {
        let bounds = PurchaseLimits.amountRange(currency)
        let range =
            enabled
            ? "between \(MoneyText.forPeople(bounds.lowerBound, currency)) and \(MoneyText.forPeople(bounds.upperBound, currency))"
            : "at most \(MoneyText.forPeople(bounds.upperBound, currency))"
        switch error.code {
        case .invalidRechargeAmount: return "'Recharge with' must be \(range)\(enabled ? " while auto-recharge is on" : "")."
        case .invalidTriggerAmount: return "'When the balance falls below' must be \(range)\(enabled ? " while auto-recharge is on" : "")."
        default: return error.inWords
        }
    }

    /// An amount typed in currency units ("20" or "20.00"), exactly, in minor units.
    static func amount(_ text: String?, _ currency: Currency, _ label: String) throws(Refusal) -> Int64 {
        let trimmed = (text ?? "").trimmingCharacters(in: .whitespaces)
        guard let minor = MoneyText.parseMinor(trimmed.isEmpty ? "0" : trimmed, currency) else {
            throw Refusal.invalid(.invalidAmount, "'\(label)' must be an amount in \(currency.code), like 20 or 20.00.")
        }
        return minor
    }
}

/// What the credits page shows, every figure already written for a person.
struct CreditsPage {
    struct Banner {
        let tone, role, text: String
        var link: String?
        var linkText: String?
    }
    struct LotRow { let id, purchased, expires, amount, used, forfeited, remaining, status: String }
    struct TransactionRow {
        let when: String
        let kind: String
        let amount: String
        let balanceAfter: String
    }
    struct InvoiceRow {
        let number, issued, kind, paidWith, amount, link: String

        init(_ invoice: Invoice, tenant: Tenant) {
            (number, issued) = (invoice.number, ReadableDate.day(invoice.issuedAt))
            kind = invoice.kind == .purchase ? "Purchase" : "Auto-recharge"
            paidWith = PaymentMethodPages.describe(invoice.paymentMethod)
            amount = MoneyText.forPeople(invoice.amountMinor, invoice.currency)
            link = "/v1/tenants/\(tenant.id)/credits/invoices/\(invoice.id)"
        }
    }
    struct RechargeRow {
        let started: String
        let amount: String
        let outcome: String
        let paidWith: String
    }
    /// Saving these settings recharges at once: said, with the amount, before it happens.
    struct Confirmation {
        let text: String
        let enabled: Bool
        let rechargeAmount: String
        let triggerAmount: String
    }

    let upn: String
    let tenantName: String
    let csrfToken: String
    let onCredits = true
    let currency: String
    let balance: String
    let available: String
    let held: String
    let banners: [Banner]
    let chart: String
    let lots: [LotRow]
    let transactions: [TransactionRow]
    let invoices: [InvoiceRow]
    let recharges: [RechargeRow]
    var confirmation: Confirmation?
    let canBuy: Bool
    var autoRechargeOn: Bool
    var rechargeAmount: String
    var triggerAmount: String
    /// The saved settings in a sentence, shown whether or not the form is open.
    let autoRechargeStatus: String
    /// What the spend controls hold back, each with a link to them.
    var spendControls: [String] = []
    /// Why the velocity alarm suspended calls, with a button to resume them.
    var suspension: String?
    var resumed = false
    var olderTransactionsLink: String?
    var newestTransactionsLink: String?
    var saved = false
    var bought = false
    var editing = false
    var settingsError: String?
    var advice: AdvicePanel?
    /// Why there is no advice, when there is none.
    var adviceNote: String?

    init(
        tenant: Tenant,
        statement: CreditStatement,
        settings: AutoRechargeSettings,
        history: BalanceHistory,
        transactions: ArraySlice<JournalTransaction>,
        invoices: [Invoice],
        recharges: [RechargeRecord],
        canBuy: Bool,
        now: Instant,
        frame: PageFrame
    ) {
        let currency = tenant.currency
        func money(_ amountMinor: Int64) -> String { MoneyText.forPeople(amountMinor, currency) }
        (upn, tenantName, csrfToken) = (frame.upn, frame.tenantName, frame.csrfToken)
        self.currency = currency.code
        autoRechargeStatus =
            settings.enabled
            ? "Auto-recharge is on: \(money(settings.rechargeAmountMinor)) when the balance falls below \(money(settings.triggerAmountMinor))."
            : "Auto-recharge is off."
        let figures = statement.figures
        (balance, available, held) = (money(figures.balanceMinor), money(figures.availableMinor), money(figures.heldMinor))
        var banners: [Banner] = []
        let postUsage = PostUsageStatus(
            commerceModel: tenant.billingAccount.commerceModel,
            balanceMinor: figures.balanceMinor,
            autoRecharge: settings
        )
        if figures.balanceMinor <= 0 {
            banners.append(
                Banner(tone: postUsage.active ? "warn" : "bad", role: "alert", text: "The balance is used up. \(postUsage.usedUpBalance.consequence)")
            )
        }
        let expiring = statement.lots.filter { $0.freeMinor > 0 && CreditAlerts.expiryNoticeDays(expiresAt: $0.expiresAt, at: now) != nil }
        for lot in expiring {
            banners.append(
                Banner(
                    tone: "warn",
                    role: "status",
                    text:
                        "\(money(lot.freeMinor)) of lot \(lot.id) expire\(lot.freeMinor == 1 ? "s" : "") on \(ReadableDate.day(lot.expiresAt)); expired funds are forfeited."
                )
            )
        }
        if let last = recharges.first, last.state == .failed || last.state == .stopped, settings.wantsRecharge(atBalance: figures.balanceMinor) {
            let why = last.failure.map { Self.reason($0) } ?? "more than 3 recharges were asked for within 10 minutes, so it was stopped"
            banners.append(
                Banner(
                    tone: "bad",
                    role: "alert",
                    text: "The last auto-recharge, \(money(last.amountMinor)) on \(ReadableDate.day(last.startedAt)), "
                        + "did not go through: \(why). The balance is below the trigger; update the payment method under Billing > Payment methods, "
                        + "or buy credits, before calls are refused."
                )
            )
        }
        self.recharges = recharges.map { recharge in
            let outcome =
                switch recharge.state {
                case .succeeded: "Added"
                case .pending: "In progress"
                case .failed: "Failed: " + (recharge.failure.map { Self.reason($0) } ?? "")
                case .stopped: "Stopped: too many in 10 minutes"
                }
            return RechargeRow(
                started: ReadableDate.minute(recharge.startedAt),
                amount: money(recharge.amountMinor),
                outcome: outcome,
                paidWith: recharge.paymentMethod.map(PaymentMethodPages.describe) ?? "none on file"
            )
        }
        if let model = Self.postUsageModel(tenant.billingAccount.commerceModel) {
            let billed =
                "This organization is billed under \(model): Communications Credits are no longer sold to it, and calls beyond its plans are billed after use."
            switch postUsage.reason {
            case .autoRechargeOn:
                banners.append(
                    Banner(
                        tone: "warn",
                        role: "alert",
                        text:
                            "\(billed) Auto-recharge is still on, so the balance refills itself and post-usage billing never starts: turn auto-recharge off.",
                        link: "#billing-settings",
                        linkText: "Turn auto-recharge off"
                    )
                )
            case .balanceRemaining:
                banners.append(
                    Banner(
                        tone: "warn",
                        role: "status",
                        text:
                            "\(billed) The remaining balance, \(money(figures.balanceMinor)), is used first; post-usage billing starts once it is used up.",
                        link: "/admin/billing/invoices",
                        linkText: "Post-usage invoices"
                    )
                )
            case nil, .notPostUsageTenant: break
            }
        }
        self.banners = banners
        chart = BalanceChart(history: history, currency: currency).svg
        lots = statement.lots.reversed().map { lot in
            let expired = lot.isExpired(at: now)
            let status =
                expired
                ? "Expired" + (lot.forfeitedMinor > 0 ? ", \(money(lot.forfeitedMinor)) forfeited" : "")
                : lot.refundedMinor > 0 ? "Refunded \(money(lot.refundedMinor))" : lot.remainingMinor == 0 ? "Used up" : "Active"
            return LotRow(
                id: lot.id.description,
                purchased: ReadableDate.day(lot.purchasedAt),
                expires: ReadableDate.day(lot.expiresAt),
                amount: money(lot.amountMinor),
                used: money(lot.consumedMinor),
                forfeited: money(lot.forfeitedMinor),
                remaining: money(lot.remainingMinor),
                status: status
            )
        }
        self.transactions = transactions.map { transaction in
            let receipt = transaction.receipt
            return TransactionRow(
                when: ReadableDate.minute(receipt.occurredAt),
                kind: Self.describe(receipt.kind),
                amount: money(receipt.amountMinor),
                balanceAfter: money(receipt.balanceAfterMinor)
            )
        }
        self.invoices = invoices.map { InvoiceRow($0, tenant: tenant) }
        self.canBuy = canBuy
        autoRechargeOn = settings.enabled
        rechargeAmount = MoneyText.decimal(settings.rechargeAmountMinor, currency)
        triggerAmount = MoneyText.decimal(settings.triggerAmountMinor, currency)
    }

    /// "NCE (New Commerce Experience)" for a tenant billed after use; nil for one that prepays.
    private static func postUsageModel(_ model: CommerceModel) -> String? {
        switch model {
        case .classic: nil
        case .nce: "NCE (New Commerce Experience)"
        case .mca: "MCA (Microsoft Customer Agreement)"
        }
    }

    private static func reason(_ failure: PaymentFailureReason) -> String {
        switch failure {
        case .cardExpired: "the card has expired"
        case .cardDeclined: "the card was declined"
        case .gatewayUnavailable: "the payment provider did not answer"
        case .noPaymentMethod: "there is no payment method on file"
        }
    }

    private static func describe(_ kind: TransactionKind) -> String {
        switch kind {
        case .purchase: "Purchase"
        case .recharge: "Auto-recharge"
        case .charge: "Charge"
        case .reserve: "Held for a call"
        case .extendHold: "Hold extended"
        case .postHold: "Call charged"
        case .voidHold: "Hold released"
        case .holdTimeout: "Call charged (time-out)"
        case .lotExpiry: "Expired, forfeited"
        case .refund: "Refund"
        case .creditBack: "Call corrected (late end)"
        }
    }
}

extension APIRequestContext {
    /// The signed-in administrator and their tenant, once they may do `permission` there.
    func administrator(may permission: Permission) throws(Refusal) -> (principal: Principal, tenantId: TenantId) {
        guard let principal, let tenantId = principal.tenantId else { throw Refusal.unauthenticated }
        try principal.authorize(permission, in: tenantId)
        return (principal, tenantId)
    }
}

/// The funding advice on the product page: each figure, the sentence it comes from, and the
/// two amounts ready to be saved as the auto-recharge settings (the template takes `canBuy`
/// and `csrfToken` from the page around it).
struct AdvicePanel {
    let days: Int64
    let mean, p95, runway, trigger, recharge, forfeit: String
    let spendBasis, runwayBasis, triggerBasis, rechargeBasis: String
    let lotBases: [String]
    let rechargeAmount, triggerAmount: String
    /// False with no credit spend in the history: no trigger or recharge to recommend.
    let recommends: Bool

    init(_ advice: FundingAdvice) {
        recommends = advice.recommendsAmounts
        let text = FundingAdviceText(advice)
        func money(_ amountMinor: Int64) -> String { MoneyText.forPeople(amountMinor, advice.currency) }
        days = advice.spend.days
        (mean, p95) = (money(advice.spend.meanMinor), money(advice.spend.p95Minor))
        runway = advice.runway.days.map { "\($0) day\($0 == 1 ? "" : "s")" } ?? "No end at this rate"
        (trigger, recharge, forfeit) = (money(advice.trigger.amountMinor), money(advice.recharge.amountMinor), money(advice.forecastForfeitMinor))
        (spendBasis, runwayBasis, triggerBasis, rechargeBasis) = (text.dailySpend, text.runway, text.trigger, text.recharge)
        lotBases = advice.lots.map(text.lot)
        rechargeAmount = MoneyText.decimal(advice.recharge.amountMinor, advice.currency)
        triggerAmount = MoneyText.decimal(advice.trigger.amountMinor, advice.currency)
    }
}
