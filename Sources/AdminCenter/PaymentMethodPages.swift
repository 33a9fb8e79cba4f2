import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Payments
import Reports

/// Billing > Payment methods: the card or agreement that purchases and auto-recharge charge,
/// and changing it (seed 002: "You can update your payment options at any time"). A card is
/// typed as on the card and handed to the payment provider, which answers a token: the number
/// is neither kept nor logged, and never comes back to the form.
struct PaymentMethodPages {
    let pages: PageRenderer
    let billing: BillingService
    let directory: DirectoryService
    let records: AccountRecords
    let clock: any CreditsClock

    struct TestCard {
        let number: String
        let behaves: String
    }
    struct Page {
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onPaymentMethods = true
        let current: String?
        let canChange: Bool
        let refusal: String?
        var saved = false
        var error: String?
        var numberError: String?
        var expiryError: String?
        var codeError: String?
        var expiry = ""
        let hasAgreements: Bool
        let agreements: [PurchasePages.AgreementChoice]
        var purchaseOrder = ""
        let testCards: [TestCard]
        let hasTestCards: Bool
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("billing/payment-methods") { request, context in
            var page = try await page(context)
            page.saved = request.uri.queryParameters.get("saved") != nil
            return pages.render("payment-methods", page)
        }
        router.post("billing/payment-methods/card") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let tenantId = try context.administrator(may: .buy).tenantId
            var page = try await page(context)
            page.expiry = form["cardExpiry"] ?? ""
            do {
                let card = try CardEntry(
                    number: form["cardNumber"] ?? "",
                    expiry: page.expiry,
                    securityCode: form["securityCode"] ?? "",
                    at: clock.now()
                )
                _ = try await billing.setCard(card, for: tenantId)
                return Response.redirect(to: "/admin/billing/payment-methods?saved=1", type: .normal)
            } catch let error as Refusal {
                switch error.code {
                case .invalidCardNumber, .cardNotAccepted: page.numberError = error.inWords
                case .invalidCardExpiry: page.expiryError = error.detail
                case .invalidSecurityCode: page.codeError = error.detail
                default: page.error = error.inWords
                }
                return pages.render("payment-methods", page, status: .unprocessableContent)
            }
        }
        router.post("billing/payment-methods/agreement") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let tenantId = try context.administrator(may: .buy).tenantId
            var page = try await page(context)
            page.purchaseOrder = form["purchaseOrder"] ?? ""
            do {
                _ = try await billing.setPaymentMethod(.agreement(number: form["agreement"] ?? "", purchaseOrder: page.purchaseOrder), for: tenantId)
                return Response.redirect(to: "/admin/billing/payment-methods?saved=1", type: .normal)
            } catch let error as Refusal {
                page.error = error.inWords
                return pages.render("payment-methods", page, status: .unprocessableContent)
            }
        }
    }

    private func page(_ context: APIRequestContext) async throws -> Page {
        let (principal, tenantId) = try context.administrator(may: .readBilling)
        let tenant = try await directory.tenant(tenantId)
        let onFile = try await records.billingSettings(of: tenantId).paymentMethod
        let frame = PageFrame(context, tenantName: tenant.name)
        let agreements = tenant.billingAccount.agreements.filter { PurchaseEligibility.refusal(for: tenant, payingWith: $0) == nil }
        return Page(
            upn: frame.upn,
            tenantName: frame.tenantName,
            csrfToken: frame.csrfToken,
            current: onFile.map(Self.describe),
            canChange: principal.permissions.contains(.buy),
            refusal: PurchaseEligibility.refusal(for: tenant, payingWith: nil)?.detail,
            hasAgreements: !agreements.isEmpty,
            agreements: agreements.enumerated().map { .init(number: $1.number, country: $1.billingCountry.name, selected: $0 == 0) },
            testCards: billing.takesSandboxCards ? SandboxPaymentGateway.testNumbers.map { TestCard(number: $0.number, behaves: $0.behaves) } : [],
            hasTestCards: billing.takesSandboxCards
        )
    }

    /// "Visa ending 4242, expires 12/2034"; "Enterprise Agreement EA-1, PO PO-77".
    static func describe(_ method: PaymentMethod) -> String {
        switch method {
        case let .card(card):
            "\(card.brand) ending \(card.lastFour), expires \(card.expiryMonth < 10 ? "0" : "")\(card.expiryMonth)/\(card.expiryYear)"
        case let .agreement(number, purchaseOrder): "Enterprise Agreement \(number)" + (purchaseOrder.map { ", PO \($0)" } ?? "")
        }
    }
}
