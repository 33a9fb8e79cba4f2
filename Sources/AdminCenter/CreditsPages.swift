import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Reports

/// Billing > Your products > Communications Credits: the balance, its lots, 90 days drawn, the
/// auto-recharge settings, the funding advice, transactions and invoices, and banners for what
/// needs attention.
struct CreditsPages {
    let pages: PageRenderer
    let billing: BillingService
    let directory: DirectoryService
    let stores: Stores
    let clock: any CreditsClock

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("billing/credits") { request, context in
            try await page(context, saved: request.uri.queryParameters.get("saved") != nil, bought: request.uri.queryParameters.get("bought") != nil)
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
                    currency: tenant.currency)
                try await billing.setAutoRecharge(settings, for: tenantId)
                return Response.redirect(to: "/admin/billing/credits?saved=1#billing-settings", type: .normal)
            } catch let error as BillingError {
                return try await page(context, settingsError: [error.detail, error.remedy].compactMap { $0 }.joined(separator: " "),
                                      entered: (form["enabled"] == "on", form["rechargeAmount"] ?? "", form["triggerAmount"] ?? ""), status: .unprocessableContent)
            }
        }
    }

    private func page(_ context: APIRequestContext, saved: Bool = false, bought: Bool = false, settingsError: String? = nil,
                      entered: (Bool, String, String)? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let (principal, tenantId) = try context.administrator(may: .readBilling)
        let tenant = try await directory.tenant(tenantId)
        let now = clock.now()
        let statement = try await stores.ledger.statement(for: tenantId, at: now)
        let settings = try await stores.billing.settings(for: tenantId)
        let recent = try await stores.ledger.transactions(for: tenantId, before: nil, limit: 5_000)
        let invoices = try await stores.billing.invoices(for: tenantId, before: nil, limit: 20)
        var page = CreditsPage(tenant: tenant, statement: statement, settings: settings.autoRecharge, transactions: recent, invoices: invoices,
                               canBuy: principal.permissions.contains(.buy), now: now, frame: PageFrame(context, tenantName: tenant.name))
        page.saved = saved
        page.bought = bought
        page.editing = saved
        page.settingsError = settingsError
        page.advice = try await FundingAdvisor(stores: stores).advice(for: tenant, at: now).map(AdvicePanel.init)
        if let (enabled, recharge, trigger) = entered {
            (page.autoRechargeOn, page.rechargeAmount, page.triggerAmount, page.editing) = (enabled, recharge, trigger, true)
        }
        return pages.render("credits", page, status: status)
    }

    /// An amount typed in currency units ("20" or "20.00"), exactly, in minor units.
    static func amount(_ text: String?, _ currency: Currency, _ label: String) throws(BillingError) -> Int64 {
        let trimmed = (text ?? "").trimmingCharacters(in: .whitespaces)
        guard let minor = MoneyText.parseMinor(trimmed.isEmpty ? "0" : trimmed, currency) else {
            throw BillingError.invalid("amount", "'\(label)' must be an amount in \(currency.code), like 20 or 20.00.")
        }
        return minor
    }
}

/// What the credits page shows, every figure already written for a person.
struct CreditsPage {
    struct Banner { let tone: String; let role: String; let text: String }
    struct LotRow { let id: String; let purchased: String; let expires: String; let amount: String; let remaining: String }
    struct TransactionRow { let when: String; let kind: String; let amount: String; let balanceAfter: String }
    struct InvoiceRow { let number: String; let issued: String; let kind: String; let amount: String; let link: String }

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
    let canBuy: Bool
    var autoRechargeOn: Bool
    var rechargeAmount: String
    var triggerAmount: String
    var saved = false
    var bought = false
    var editing = false
    var settingsError: String?
    var advice: AdvicePanel?

    init(tenant: Tenant, statement: CreditStatement, settings: AutoRechargeSettings, transactions: [JournalTransaction],
         invoices: [Invoice], canBuy: Bool, now: Instant, frame: PageFrame) {
        let currency = tenant.currency
        func money(_ amountMinor: Int64) -> String { MoneyText.withCode(amountMinor, currency) }
        (upn, tenantName, csrfToken) = (frame.upn, frame.tenantName, frame.csrfToken)
        self.currency = currency.code
        let figures = statement.figures
        (balance, available, held) = (money(figures.balanceMinor), money(figures.availableMinor), money(figures.heldMinor))
        var banners: [Banner] = []
        let postUsage = PostUsageStatus(commerceModel: tenant.billingAccount.commerceModel, balanceMinor: figures.balanceMinor, autoRecharge: settings)
        if figures.balanceMinor <= 0 {
            banners.append(Banner(tone: postUsage.active ? "warn" : "bad", role: "alert", text: "The balance is used up. \(postUsage.usedUpBalance.consequence)"))
        }
        let expiring = statement.lots.filter { $0.freeMinor > 0 && !$0.isExpired(at: now) && $0.expiresAt <= now.adding(days: 30) }
        for lot in expiring {
            banners.append(Banner(tone: "warn", role: "status",
                                  text: "\(money(lot.freeMinor)) of lot \(lot.id) expire\(lot.freeMinor == 1 ? "s" : "") on \(ISO8601.formatDate(lot.expiresAt)); expired funds are forfeited."))
        }
        if postUsage.reason == .autoRechargeOn {
            banners.append(Banner(tone: "warn", role: "alert", text: "The balance will refill itself and post-usage billing will not start: turn auto-recharge off."))
        }
        self.banners = banners
        chart = BalanceChart(history: BalanceHistory(transactions: transactions.map(\.receipt), days: 90, endingAt: now), currency: currency).svg
        lots = statement.lots.reversed().map { lot in
            LotRow(id: lot.id.description, purchased: ISO8601.formatDate(lot.purchasedAt), expires: ISO8601.formatDate(lot.expiresAt),
                   amount: money(lot.amountMinor), remaining: money(lot.remainingMinor))
        }
        self.transactions = transactions.prefix(20).map { transaction in
            let receipt = transaction.receipt
            return TransactionRow(when: minuteText(receipt.occurredAt),
                                  kind: Self.describe(receipt.kind), amount: money(receipt.amountMinor), balanceAfter: money(receipt.balanceAfterMinor))
        }
        self.invoices = invoices.map { invoice in
            InvoiceRow(number: invoice.number, issued: ISO8601.formatDate(invoice.issuedAt), kind: invoice.kind == .purchase ? "Purchase" : "Auto-recharge",
                       amount: money(invoice.amountMinor), link: "/v1/tenants/\(tenant.id)/credits/invoices/\(invoice.id)")
        }
        self.canBuy = canBuy
        autoRechargeOn = settings.enabled
        rechargeAmount = MoneyText.decimal(settings.rechargeAmountMinor, currency)
        triggerAmount = MoneyText.decimal(settings.triggerAmountMinor, currency)
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
    func administrator(may permission: Permission) throws(BillingError) -> (principal: Principal, tenantId: TenantId) {
        guard let principal, let tenantId = principal.tenantId else { throw BillingError.unauthenticated }
        try principal.authorize(permission, in: tenantId)
        return (principal, tenantId)
    }
}

/// Times as the pages show them: UTC to the minute, `2026-11-21 09:30`.
func minuteText(_ instant: Instant) -> String {
    String(ISO8601.format(instant).replacingOccurrences(of: "T", with: " ").prefix(16))
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

    init(_ advice: FundingAdvice) {
        let text = FundingAdviceText(advice)
        func money(_ amountMinor: Int64) -> String { MoneyText.withCode(amountMinor, advice.currency) }
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
