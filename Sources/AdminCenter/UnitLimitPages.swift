import CreditsAPI
import CreditsCore
import CreditsEngine
import Hummingbird

/// The monthly spend limits of administrative units on Billing > Spend controls: each shared by
/// the unit's users, with this month's spend.
extension ControlPages {
    /// The units' limits as an administrator reads them, and the form's values.
    struct UnitLimitPanel {
        let rows: [LimitRow]
        let hasRows: Bool
        var unitName = ""
        var unitAmount = ""
        var unitError: String?

        init(_ limits: [SpendLimitUse], _ currency: Currency) {
            rows = limits.map { LimitRow($0, currency) }
            hasRows = !rows.isEmpty
        }
    }

    func addUnitSpendLimits(to router: some RouterMethods<APIRequestContext>) {
        router.post("billing/spend-controls/unit-spend-limit") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let (principal, tenantId) = try context.administrator(may: .buy)
            var page = try await page(context)
            page.unitLimits.unitName = form["unit"] ?? ""
            page.unitLimits.unitAmount = form["amount"] ?? ""
            do {
                let unit = try AdministrativeUnit(page.unitLimits.unitName)
                var limit: Int64?
                if form["remove"] == nil {
                    let currency = try await directory.tenant(tenantId).currency
                    limit = try MoneyText.amount(page.unitLimits.unitAmount, currency, field: .invalidAmount, example: "500.00")
                }
                try await controls.setSpendLimit(limit, of: tenantId, unit: unit, by: principal.actor)
                return Response.redirect(to: "/admin/billing/spend-controls?saved=unit#unit-limits-heading", type: .normal)
            } catch let error as Refusal {
                page.unitLimits.unitError = error.inWords
                return pages.render("spend-controls", page, status: .unprocessableContent)
            }
        }
    }
}
