import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Reports

/// `/v1/tenants/{tenantId}/credits`: the balance, buying, auto-recharge, the payment method,
/// transactions, recharges and invoices.
struct CreditsRoutes {
    let directory: DirectoryService
    let billing: BillingService
    let records: AccountRecords
    let clock: any CreditsClock

    func add(to router: some RouterMethods<APIRequestContext>) {
        let credits = router.group("v1/tenants/:tenantId/credits")
        credits.get { _, context in
            let tenant = try await directory.tenant(context.tenantId(for: .readBilling))
            return CreditsBody(
                statement: try await records.statement(of: tenant.id, at: clock.now()),
                settings: try await records.billingSettings(of: tenant.id),
                tenant: tenant
            )
        }
        credits.get("eligibility") { request, context in
            let refusal = try await billing.eligibility(
                of: context.tenantId(for: .buy),
                agreementNumber: request.uri.queryParameters.get("agreementNumber")
            )
            return EligibilityBody(allowed: refusal == nil, refusal: refusal.map(RefusalBody.init))
        }
        credits.post("purchases") { request, context in
            let tenantId = try context.tenantId(for: .buy)
            let key = try request.idempotencyKey()
            let input = try await request.decodeJSON(PurchaseInput.self, context: context)
            let tenant = try await directory.tenant(tenantId)
            let order = PurchaseOrder(
                amountMinor: input.amountMinor,
                payment: try input.paymentMethod.payment(),
                autoRecharge: try input.autoRecharge?.settings(tenant.currency)
            )
            let purchase = try await billing.purchase(order, for: tenant.id, key: key)
            return EditedResponse(status: .created, response: PurchaseBody(purchase))
        }
        credits.put("auto-recharge") { request, context in
            let tenant = try await directory.tenant(context.tenantId(for: .buy))
            let settings = try await request.decodeJSON(AutoRechargeBody.self, context: context).settings(tenant.currency)
            try await billing.setAutoRecharge(settings, for: tenant.id)
            return AutoRechargeBody(settings)
        }
        credits.put("payment-method") { request, context in
            let tenantId = try context.tenantId(for: .buy)
            let payment = try await request.decodeJSON(PaymentMethodBody.self, context: context).payment()
            return PaymentMethodBody(try await billing.setPaymentMethod(payment, for: tenantId))
        }
        credits.get("transactions") { request, context in
            let tenant = try await directory.tenant(context.tenantId(for: .readBilling))
            let limit = try request.limit()
            let before = try request.beforeCursor().map(TransactionId.init)
            return TransactionList(try await records.transactions(of: tenant.id, before: before, limit: limit), limit: limit)
        }
        credits.get("recharges") { request, context in
            let tenant = try await directory.tenant(context.tenantId(for: .readBilling))
            return RechargeList(try await records.recharges(of: tenant.id, limit: request.limit()))
        }
    }
}
