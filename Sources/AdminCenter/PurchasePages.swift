import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Hummingbird

/// Billing > Purchase services: Communications Credits among the add-ons, its details, and the
/// checkout. A tenant that may not buy is told why, with the remedy, before any form.
struct PurchasePages {
    let pages: PageRenderer
    let billing: BillingService
    let directory: DirectoryService
    let stores: Stores

    struct Product { let slug: String; let name: String; let summary: String }
    static let products = [Product(slug: "communications-credits", name: "Communications Credits",
                                   summary: "Prepaid funds for calls and dial-out that your plans do not include.")]

    struct CatalogPage { let upn: String; let tenantName: String; let csrfToken: String; let onPurchase = true; let query: String; let products: [Product] }
    struct ProductPage { let upn: String; let tenantName: String; let csrfToken: String; let onPurchase = true; let refusal: Refusal? }
    struct Refusal { let detail: String; let remedy: String }
    struct AgreementChoice { let number: String; let country: String; let selected: Bool }

    struct CheckoutPage {
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onPurchase = true
        var refusal: Refusal?
        var error: String?
        var orderKey: String
        let currency: String
        var amount = ""
        var payByCard: Bool
        let cardOnFile: String?
        var cardToken = ""
        let hasAgreements: Bool
        var agreements: [AgreementChoice]
        var purchaseOrder = ""
        var autoRechargeOn = true
        var rechargeAmount = ""
        var triggerAmount = ""
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("billing/purchase-services") { request, context in
            let frame = try await caller(context).2
            // A browser sends a form's spaces as "+".
            let query = (request.uri.queryParameters.get("q") ?? "").replacingOccurrences(of: "+", with: " ")
            let words = query.lowercased().split(separator: " ")
            let found = Self.products.filter { product in words.allSatisfy { (product.name + " credit " + product.summary).lowercased().contains($0) } }
            return pages.render("purchase-services", CatalogPage(upn: frame.upn, tenantName: frame.tenantName, csrfToken: frame.csrfToken,
                                                                 query: query, products: found))
        }
        router.get("billing/purchase-services/communications-credits") { _, context in
            let (_, tenant, frame) = try await caller(context)
            return pages.render("product", ProductPage(upn: frame.upn, tenantName: frame.tenantName, csrfToken: frame.csrfToken,
                                                       refusal: Self.refusal(for: tenant)))
        }
        router.get("billing/checkout/communications-credits") { _, context in
            let (principal, tenant, frame) = try await caller(context)
            try principal.authorize(.buy, in: tenant.id)
            return pages.render("checkout", try await checkout(tenant, frame))
        }
        router.post("billing/checkout/communications-credits") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let (principal, tenant, frame) = try await caller(context)
            try principal.authorize(.buy, in: tenant.id)
            var page = try await checkout(tenant, frame, orderKey: form["orderKey"])
            page.amount = form["amount"] ?? ""
            page.payByCard = form["payment"] != "agreement"
            page.cardToken = form["cardToken"] ?? ""
            page.purchaseOrder = form["purchaseOrder"] ?? ""
            page.agreements = page.agreements.map { AgreementChoice(number: $0.number, country: $0.country, selected: $0.number == form["agreement"]) }
            (page.autoRechargeOn, page.rechargeAmount, page.triggerAmount) = (form["autoRecharge"] == "on", form["rechargeAmount"] ?? "", form["triggerAmount"] ?? "")
            do {
                let key = try IdempotencyKey(form["orderKey"] ?? "")
                let payment: PurchaseOrder.Payment = page.payByCard
                    ? .card(token: page.cardToken.trimmingCharacters(in: .whitespaces))
                    : .agreement(number: form["agreement"] ?? "", purchaseOrder: page.purchaseOrder.isEmpty ? nil : page.purchaseOrder)
                let autoRecharge = try AutoRechargeSettings(
                    enabled: page.autoRechargeOn,
                    rechargeAmountMinor: try CreditsPages.amount(page.rechargeAmount, tenant.currency, "Recharge with"),
                    triggerAmountMinor: try CreditsPages.amount(page.triggerAmount, tenant.currency, "When the balance falls below"),
                    currency: tenant.currency)
                let order = PurchaseOrder(amountMinor: try CreditsPages.amount(page.amount, tenant.currency, "Add funds"), payment: payment,
                                          autoRecharge: autoRecharge)
                let purchase = try await billing.purchase(order, for: tenant.id, key: key)
                return Response.redirect(to: "/admin/billing/credits?bought=\(purchase.invoiceId ?? 0)", type: .normal)
            } catch let error as BillingError {
                page.error = [error.detail, error.remedy].compactMap { $0 }.joined(separator: " ")
            } catch let error as LedgerError {
                page.error = error.description
            }
            // That order is over; trying again, with another card say, is a new order.
            page.orderKey = Self.newOrderKey()
            return pages.render("checkout", page, status: .unprocessableContent)
        }
    }

    /// The idempotency key of one order: the form carries it, so that a second click on Place
    /// order, or a reload, buys nothing more.
    static func newOrderKey() -> String { "order-" + UUID().uuidString }

    private func caller(_ context: APIRequestContext) async throws -> (Principal, Tenant, PageFrame) {
        guard let principal = context.principal, let tenantId = principal.tenantId else { throw BillingError.unauthenticated }
        try principal.authorizeAny(in: tenantId)
        let tenant = try await directory.tenant(tenantId)
        return (principal, tenant, PageFrame(context, tenantName: tenant.name))
    }

    /// The refusal that applies whatever the payment: post-usage, CSP, or a Volume Licensing
    /// tenant none of whose agreements bills to its own country.
    static func refusal(for tenant: Tenant) -> Refusal? {
        var refusal = PurchaseEligibility.refusal(for: tenant, payingWith: nil)
        let agreements = tenant.billingAccount.agreements
        if refusal == nil, tenant.billingAccount.channel == .volumeLicensing,
           agreements.allSatisfy({ PurchaseEligibility.refusal(for: tenant, payingWith: $0) != nil }) {
            refusal = agreements.first.flatMap { PurchaseEligibility.refusal(for: tenant, payingWith: $0) }
        }
        return refusal.map { Refusal(detail: $0.detail, remedy: $0.remedy ?? "") }
    }

    private func checkout(_ tenant: Tenant, _ frame: PageFrame, orderKey: String? = nil) async throws -> CheckoutPage {
        let onFile = try await stores.billing.settings(for: tenant.id)
        let eligible = tenant.billingAccount.agreements.filter { PurchaseEligibility.refusal(for: tenant, payingWith: $0) == nil }
        var cardOnFile: String?
        if case let .card(card)? = onFile.paymentMethod { cardOnFile = "\(card.brand) ending \(card.lastFour)" }
        var page = CheckoutPage(
            upn: frame.upn, tenantName: frame.tenantName, csrfToken: frame.csrfToken, refusal: Self.refusal(for: tenant),
            orderKey: orderKey ?? Self.newOrderKey(), currency: tenant.currency.code,
            payByCard: eligible.isEmpty || cardOnFile != nil, cardOnFile: cardOnFile, hasAgreements: !eligible.isEmpty,
            agreements: eligible.enumerated().map { AgreementChoice(number: $1.number, country: $1.billingCountry.rawValue, selected: $0 == 0) })
        if case let .card(card)? = onFile.paymentMethod { page.cardToken = card.token }
        let settings = onFile.autoRecharge
        if settings.rechargeAmountMinor > 0 {
            (page.autoRechargeOn, page.rechargeAmount, page.triggerAmount) =
                (settings.enabled, MoneyText.decimal(settings.rechargeAmountMinor, tenant.currency), MoneyText.decimal(settings.triggerAmountMinor, tenant.currency))
        }
        return page
    }
}
