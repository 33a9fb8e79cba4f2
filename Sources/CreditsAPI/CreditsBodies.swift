import CreditsCore
import Hummingbird

struct AutoRechargeBody: Codable, ResponseEncodable {
    let enabled: Bool
    let rechargeAmountMinor: Int64
    let triggerAmountMinor: Int64

    init(_ settings: AutoRechargeSettings) {
        enabled = settings.enabled
        rechargeAmountMinor = settings.rechargeAmountMinor
        triggerAmountMinor = settings.triggerAmountMinor
    }

    func settings(_ currency: Currency) throws -> AutoRechargeSettings {
        try AutoRechargeSettings(
            enabled: enabled,
            rechargeAmountMinor: rechargeAmountMinor,
            triggerAmountMinor: triggerAmountMinor,
            currency: currency
        )
    }
}

/// `{type: card, token}` or `{type: agreement, agreementNumber, purchaseOrder?}`; a card on
/// file is shown by brand, last four digits and expiry, never its token.
struct PaymentMethodBody: Codable, ResponseEncodable {
    let type: String
    var token: String?
    var agreementNumber: String?
    var purchaseOrder: String?
    var brand: String?
    var lastFour: String?
    var expiryMonth: Int?
    var expiryYear: Int?

    init(_ method: PaymentMethod) {
        switch method {
        case let .card(card):
            type = "card"
            (brand, lastFour, expiryMonth, expiryYear) = (card.brand, card.lastFour, card.expiryMonth, card.expiryYear)
        case let .agreement(number, purchaseOrder):
            type = "agreement"
            (agreementNumber, self.purchaseOrder) = (number, purchaseOrder)
        }
    }

    func payment() throws -> PurchaseOrder.Payment {
        switch type {
        case "card":
            guard let token, !token.isEmpty else { throw Refusal.invalid(.invalidPaymentMethod, "A card payment needs the card's token.") }
            return .card(token: token)
        case "agreement":
            guard let agreementNumber else { throw Refusal.invalid(.invalidPaymentMethod, "An agreement payment needs agreementNumber.") }
            return .agreement(number: agreementNumber, purchaseOrder: purchaseOrder)
        default:
            throw Refusal.invalid(.invalidPaymentMethod, "paymentMethod.type must be card or agreement, not '\(type)'.")
        }
    }
}

struct PurchaseInput: Decodable {
    let amountMinor: Int64
    let paymentMethod: PaymentMethodBody
    let autoRecharge: AutoRechargeBody?
}

struct PurchaseBody: ResponseEncodable {
    let purchaseId: Int64
    let lotId: Int64
    let invoiceId: Int64
    let amountMinor: Int64

    init(_ purchase: PurchaseRecord) {
        purchaseId = purchase.id
        lotId = purchase.lotId!.rawValue
        invoiceId = purchase.invoiceId!
        amountMinor = purchase.request.amountMinor
    }
}

struct RefusalBody: Codable {
    let code: String
    let detail: String
    let remedy: String?

    init(_ error: Refusal) {
        (code, detail, remedy) = (error.code.rawValue, error.detail, error.remedy ?? error.code.remedy)
    }
}

struct EligibilityBody: ResponseEncodable {
    let allowed: Bool
    let refusal: RefusalBody?
}

struct CreditsBody: ResponseEncodable {
    struct LotBody: Encodable {
        let id: Int64
        let source: String
        let amountMinor: Int64
        let remainingMinor: Int64
        let heldMinor: Int64
        let forfeitedMinor: Int64
        let purchasedAt: String
        let expiresAt: String
        let expired: Bool
    }

    struct PostUsageBody: Encodable {
        let active: Bool
        /// `notPostUsageTenant`, `autoRechargeOn` or `balanceRemaining`; absent when active.
        let reason: String?
        let detail: String
    }

    let currency: String
    let balanceMinor: Int64
    let availableMinor: Int64
    let heldMinor: Int64
    let debtMinor: Int64
    let autoRecharge: AutoRechargeBody
    let paymentMethod: PaymentMethodBody?
    let lots: [LotBody]
    let postUsage: PostUsageBody

    init(statement: CreditStatement, settings: BillingSettings, tenant: Tenant) {
        let figures = statement.figures
        currency = statement.currency.code
        balanceMinor = figures.balanceMinor
        availableMinor = figures.availableMinor
        heldMinor = figures.heldMinor
        debtMinor = figures.debtMinor
        autoRecharge = AutoRechargeBody(settings.autoRecharge)
        paymentMethod = settings.paymentMethod.map(PaymentMethodBody.init)
        lots = statement.lots.map { lot in
            let expired = lot.isExpired(at: statement.asOf)
            return LotBody(
                id: lot.id.rawValue,
                source: lot.source.rawValue,
                amountMinor: lot.amountMinor,
                remainingMinor: lot.remainingMinor,
                heldMinor: lot.heldMinor,
                forfeitedMinor: lot.forfeitedMinor,
                purchasedAt: ISO8601.format(lot.purchasedAt),
                expiresAt: ISO8601.format(lot.expiresAt),
                expired: expired
            )
        }
        let status = PostUsageStatus(
            commerceModel: tenant.billingAccount.commerceModel,
            balanceMinor: figures.balanceMinor,
            autoRecharge: settings.autoRecharge
        )
        postUsage = PostUsageBody(
            active: status.active,
            reason: status.reason?.rawValue,
            detail: status.reason?.detail ?? "Minutes are billed after use, once a month."
        )
    }
}

struct TransactionList: ResponseEncodable {
    struct TransactionBody: Encodable {
        let id: Int64
        let kind: String
        let occurredAt: String
        let idempotencyKey: String
        let amountMinor: Int64
        let consumedMinor: Int64
        let releasedMinor: Int64
        let forfeitedMinor: Int64
        let balanceAfterMinor: Int64
        let availableAfterMinor: Int64
        let lotId: Int64?
        let holdId: String?
    }

    let transactions: [TransactionBody]
    let next: Int64?

    init(_ transactions: [JournalTransaction], limit: Int) {
        self.transactions = transactions.map {
            let receipt = $0.receipt
            return TransactionBody(
                id: receipt.transactionId.rawValue,
                kind: receipt.kind.rawValue,
                occurredAt: ISO8601.format(receipt.occurredAt),
                idempotencyKey: $0.idempotencyKey.rawValue,
                amountMinor: receipt.amountMinor,
                consumedMinor: receipt.consumedMinor,
                releasedMinor: receipt.releasedMinor,
                forfeitedMinor: receipt.forfeitedMinor,
                balanceAfterMinor: receipt.balanceAfterMinor,
                availableAfterMinor: receipt.availableAfterMinor,
                lotId: receipt.lotId?.rawValue,
                holdId: receipt.holdId?.rawValue
            )
        }
        next = transactions.count == limit ? transactions.last?.receipt.transactionId.rawValue : nil
    }
}

struct RechargeList: ResponseEncodable {
    struct RechargeBody: Encodable {
        let id: Int64
        let state: String
        let amountMinor: Int64
        let startedAt: String
        let finishedAt: String?
        let failure: RefusalBody?
        let lotId: Int64?
        let invoiceId: Int64?
    }

    let recharges: [RechargeBody]

    init(_ recharges: [RechargeRecord]) {
        self.recharges = recharges.map {
            RechargeBody(
                id: $0.id,
                state: $0.state.rawValue,
                amountMinor: $0.amountMinor,
                startedAt: ISO8601.format($0.startedAt),
                finishedAt: $0.finishedAt.map(ISO8601.format),
                failure: $0.failure.map { RefusalBody($0.error) },
                lotId: $0.lotId?.rawValue,
                invoiceId: $0.invoiceId
            )
        }
    }
}

struct InvoiceBody: Encodable, ResponseEncodable {
    let id: Int64
    let number: String
    let kind: String
    let issuedAt: String
    let amountMinor: Int64
    let currency: String
    let paymentMethod: PaymentMethodBody
    let paymentDescription: String
    let lotId: Int64

    init(_ invoice: Invoice) {
        id = invoice.id
        number = invoice.number
        kind = invoice.kind.rawValue
        issuedAt = ISO8601.format(invoice.issuedAt)
        amountMinor = invoice.amountMinor
        currency = invoice.currency.code
        paymentMethod = PaymentMethodBody(invoice.paymentMethod)
        paymentDescription = invoice.paymentMethod.description
        lotId = invoice.lotId.rawValue
    }
}

struct InvoiceList: ResponseEncodable {
    let invoices: [InvoiceBody]
    let next: Int64?
}
