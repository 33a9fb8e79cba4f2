import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Hummingbird
import Reports

/// Billing > Purchase services: Communications Credits among the add-ons, its details, and the
/// checkout. A tenant that may not buy is told why, with the remedy, before any form.
struct PurchasePages {
    let pages: PageRenderer
    let billing: BillingService
    let directory: DirectoryService
    let records: AccountRecords
    let clock: any CreditsClock
    /// Where an administrator opens a support ticket (`support.url`), when the operator gave one.
    let supportURL: String?

    struct Product {
        let slug: String
        let name: String
        let summary: String
    }
    static let products = [
        Product(
            slug: "communications-credits",
            name: "Communications Credits",
            summary: "Prepaid funds for calls and dial-out that your plans do not include."
        )
    ]

    struct CatalogPage {
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onPurchase = true
        let query: String
        let products: [Product]
    }
    struct ProductPage {
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onPurchase = true
        let refusal: RefusalNotice?
        let canBuy: Bool
    }
    struct RefusalNotice {
        let detail: String
        let remedy: String
        let supportLink: String?
    }
    struct AgreementChoice {
        let number: String
        let country: String
        let selected: Bool
    }

    struct CheckoutPage {
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onPurchase = true
        var refusal: RefusalNotice?
        var error: String?
        var orderKey: String
        let currency: String
        var amount = ""
        /// Which payment is chosen: the card on file, a new card typed in, or an agreement.
        var payOnFile: Bool
        var payNewCard: Bool
        var payAgreement: Bool
        let cardOnFile: String?
        /// The new card's expiry as typed; its number and code never come back to the page.
        var cardExpiry = ""
        let hasAgreements: Bool
        var agreements: [AgreementChoice]
        var purchaseOrder = ""
        /// Off unless the settings on file are on: ticked with empty amounts, it would refuse
        /// an order that only adds funds.
        var autoRechargeOn = false
        var rechargeAmount = ""
        var triggerAmount = ""
        /// What is wrong with each field, in words, shown beside it.
        var amountError: String?
        var cardError: String?
        var expiryError: String?
        var codeError: String?
        var rechargeError: String?
        var triggerError: String?
        var fieldsToCorrect = false
        /// Whether the page lists the sandbox's test cards (the demo).
        let testCards: Bool
    }

    /// The order's fields, each checked in the words of its label; nil with the errors set on
    /// `page` when one is wrong.
    static func order(from page: inout CheckoutPage, cardToken: String?, agreement: String?, currency: Currency) -> PurchaseOrder? {
        let bounds = PurchaseLimits.amountRange(currency)
        let range = "between \(MoneyText.forPeople(bounds.lowerBound, currency)) and \(MoneyText.forPeople(bounds.upperBound, currency))"
        func amount(_ text: String, required: Bool, _ what: String, error: inout String?) -> Int64 {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty, !required { return 0 }
            guard let minor = MoneyText.parseMinor(trimmed, currency), bounds.contains(minor) else {
                error =
                    trimmed.isEmpty || MoneyText.parseMinor(trimmed, currency) == nil
                    ? "Enter \(what) in \(currency.code), like 20 or 20.00."
                    : "Enter \(what) \(range)."
                return 0
            }
            return minor
        }
        let funds = amount(page.amount, required: true, "the amount to add", error: &page.amountError)
        let recharge = amount(page.rechargeAmount, required: page.autoRechargeOn, "the amount to recharge with", error: &page.rechargeError)
        let trigger = amount(page.triggerAmount, required: page.autoRechargeOn, "the balance that starts a recharge", error: &page.triggerError)
        page.fieldsToCorrect =
            page.fieldsToCorrect
            || [page.amountError, page.rechargeError, page.triggerError, page.cardError, page.expiryError, page.codeError].contains { $0 != nil }
        guard !page.fieldsToCorrect,
            let settings = try? AutoRechargeSettings(
                enabled: page.autoRechargeOn,
                rechargeAmountMinor: recharge,
                triggerAmountMinor: trigger,
                currency: currency
            )
        else { return nil }
        let payment: PurchaseOrder.Payment =
            if let cardToken { .card(token: cardToken) } else {
                .agreement(number: agreement ?? "", purchaseOrder: page.purchaseOrder.isEmpty ? nil : page.purchaseOrder)
            }
        return PurchaseOrder(amountMinor: funds, payment: payment, autoRecharge: settings)
    }

    /// Puts a refusal of the order beside the field it is about, or above the form.
    static func show(_ error: Refusal, on page: inout CheckoutPage) {
        switch error.code {
        case .unknownCardToken, .paymentDeclined, .paymentCardExpired, .cardNotAccepted, .invalidCardNumber:
            (page.cardError, page.fieldsToCorrect) = (error.inWords, true)
        case .invalidCardExpiry: (page.expiryError, page.fieldsToCorrect) = (error.detail, true)
        case .invalidSecurityCode: (page.codeError, page.fieldsToCorrect) = (error.detail, true)
        default: page.error = error.inWords
        }
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("billing/purchase-services") { request, context in
            let frame = try await caller(context).2
            // A browser sends a form's spaces as "+".
            let query = FormFields.query("q", of: request) ?? ""
            let words = query.lowercased().split(separator: " ")
            let found = Self.products.filter { product in words.allSatisfy { (product.name + " credit " + product.summary).lowercased().contains($0) }
            }
            return pages.render(
                "purchase-services",
                CatalogPage(
                    upn: frame.upn,
                    tenantName: frame.tenantName,
                    csrfToken: frame.csrfToken,
                    query: query,
                    products: found
                )
            )
        }
        router.get("billing/purchase-services/communications-credits") { _, context in
            let (principal, tenant, frame) = try await caller(context)
            return pages.render(
                "product",
                ProductPage(
                    upn: frame.upn,
                    tenantName: frame.tenantName,
                    csrfToken: frame.csrfToken,
                    refusal: refusal(for: tenant),
                    canBuy: principal.permissions.contains(.buy)
                )
            )
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
            (page.payOnFile, page.payNewCard, page.payAgreement) = (
                form["payment"] == "onfile", form["payment"] == "card", form["payment"] == "agreement"
            )
            page.cardExpiry = form["cardExpiry"] ?? ""
            page.purchaseOrder = form["purchaseOrder"] ?? ""
            page.agreements = page.agreements.map {
                AgreementChoice(number: $0.number, country: $0.country, selected: $0.number == form["agreement"])
            }
            (page.autoRechargeOn, page.rechargeAmount, page.triggerAmount) = (
                form["autoRecharge"] == "on", form["rechargeAmount"] ?? "", form["triggerAmount"] ?? ""
            )
            do {
                let key = try IdempotencyKey(form["orderKey"] ?? "")
                // The card on file is the one the store keeps, whatever the form says.
                var cardToken: String?
                if page.payOnFile, case let .card(card)? = try await records.billingSettings(of: tenant.id).paymentMethod { cardToken = card.token }
                var card: CardEntry?
                if page.payNewCard {
                    do throws(Refusal) {
                        card = try CardEntry(
                            number: form["cardNumber"] ?? "",
                            expiry: page.cardExpiry,
                            securityCode: form["securityCode"] ?? "",
                            at: clock.now()
                        )
                    } catch { Self.show(error, on: &page) }
                }
                if cardToken == nil, card == nil, !page.payAgreement, !page.fieldsToCorrect {
                    (page.cardError, page.fieldsToCorrect) = ("Choose how to pay: the card on file, a new card or an agreement.", true)
                }
                // Every field is checked before the card goes to the provider.
                if var order = Self.order(
                    from: &page,
                    cardToken: cardToken ?? (card == nil ? nil : ""),
                    agreement: form["agreement"],
                    currency: tenant.currency
                ) {
                    if let card {
                        order = PurchaseOrder(
                            amountMinor: order.amountMinor,
                            payment: .card(token: try await billing.cardToken(card)),
                            autoRecharge: order.autoRecharge
                        )
                    }
                    let purchase = try await billing.purchase(order, for: tenant.id, key: key)
                    return Response.redirect(to: "/admin/billing/credits?bought=\(purchase.invoiceId ?? 0)", type: .normal)
                }
            } catch let error as Refusal {
                Self.show(error, on: &page)
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
        guard let principal = context.principal, let tenantId = principal.tenantId else { throw Refusal.unauthenticated }
        try principal.authorizeAny(in: tenantId)
        let tenant = try await directory.tenant(tenantId)
        return (principal, tenant, PageFrame(context, tenantName: tenant.name))
    }

    /// The refusal that applies whatever the payment: post-usage, CSP, or a Volume Licensing
    /// tenant none of whose agreements bills to its own country.
    func refusal(for tenant: Tenant) -> RefusalNotice? {
        PurchaseEligibility.refusal(for: tenant, payingWith: nil).map { refusal in
            RefusalNotice(
                detail: refusal.detail,
                remedy: refusal.remedy ?? "",
                supportLink: refusal.code == .purchaseNotAllowedRegionConflict ? supportURL : nil
            )
        }
    }

    private func checkout(_ tenant: Tenant, _ frame: PageFrame, orderKey: String? = nil) async throws -> CheckoutPage {
        let onFile = try await records.billingSettings(of: tenant.id)
        let eligible = tenant.billingAccount.agreements.filter { PurchaseEligibility.refusal(for: tenant, payingWith: $0) == nil }
        var cardOnFile: String?
        if case let .card(card)? = onFile.paymentMethod { cardOnFile = PaymentMethodPages.describe(.card(card)) }
        var page = CheckoutPage(
            upn: frame.upn,
            tenantName: frame.tenantName,
            csrfToken: frame.csrfToken,
            refusal: refusal(for: tenant),
            orderKey: orderKey ?? Self.newOrderKey(),
            currency: tenant.currency.code,
            payOnFile: cardOnFile != nil,
            payNewCard: cardOnFile == nil && eligible.isEmpty,
            payAgreement: cardOnFile == nil && !eligible.isEmpty,
            cardOnFile: cardOnFile,
            hasAgreements: !eligible.isEmpty,
            agreements: eligible.enumerated().map { AgreementChoice(number: $1.number, country: $1.billingCountry.name, selected: $0 == 0) },
            testCards: billing.takesSandboxCards
        )
        let settings = onFile.autoRecharge
        if settings.rechargeAmountMinor > 0 {
            (page.autoRechargeOn, page.rechargeAmount, page.triggerAmount) =
                (
                    settings.enabled, MoneyText.decimal(settings.rechargeAmountMinor, tenant.currency),
                    MoneyText.decimal(settings.triggerAmountMinor, tenant.currency)
                )
        }
        return page
    }
}
