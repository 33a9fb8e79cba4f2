import CreditsAPI
import CreditsCore
import CreditsEngine
import Foundation
import Hummingbird

/// The velocity alarm on Billing > Spend controls (its settings and the sliding hour), and the
/// resume of the calls it suspended, also offered on the Communications Credits page.
extension ControlPages {
    /// The alarm as an administrator reads it, and the form's values.
    struct VelocityPanel {
        let status: String
        let hour: String
        /// Why calls are suspended, when they are.
        let suspension: String?
        let isOn: Bool
        var amount: String
        var multiple: String
        var error: String?

        init(_ velocity: VelocityStatus, _ currency: Currency) {
            let alarm = velocity.alarm
            let money = { (minor: Int64) in MoneyText.forPeople(minor, currency) }
            var judges: [String] = []
            if let amount = alarm.hourlyAmountMinor { judges.append(money(amount)) }
            if let multiple = alarm.usualMultiple {
                let usual =
                    alarm.usual.map { usual in
                        usual.p95Minor > 0
                            ? "\(money(usual.p95Minor)), so \(money(alarm.usualLimitMinor ?? 0))"
                            : "nothing yet (too little history to judge by)"
                    } ?? "not worked out yet"
                judges.append("\(multiple) times the usual hourly spend (\(usual))")
            }
            status =
                judges.isEmpty
                ? "Off: spending fast suspends no calls."
                : "On: international and premium calls paid from the credits are suspended once the calls of an hour spend or hold more than "
                    + ControlPages.list(judges) + (judges.count > 1 ? ", whichever is lower." : ".")
            hour =
                "Since \(ReadableDate.minute(velocity.hourStartsAt)) UTC: \(money(velocity.chargedMinor)) charged, "
                + "and \(money(velocity.heldMinor)) held by calls in progress."
            suspension = alarm.suspension.map {
                "Since \(ReadableDate.minute($0.since)) UTC, international and premium calls paid from the credits are suspended: "
                    + "\(money($0.spentMinor)) was spent or held within an hour, more than \(money($0.thresholdMinor)). "
                    + "Domestic, plan-paid and emergency calls go on."
            }
            isOn = alarm.isOn
            amount = alarm.hourlyAmountMinor.map { MoneyText.decimal($0, currency) } ?? ""
            multiple = alarm.usualMultiple.map(String.init) ?? ""
        }
    }

    func addVelocityAlarm(to router: some RouterMethods<APIRequestContext>) {
        router.post("billing/spend-controls/velocity-alarm") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let (principal, tenantId) = try context.administrator(may: .buy)
            var page = try await page(context)
            page.velocity.amount = form["amount"] ?? ""
            page.velocity.multiple = form["multiple"] ?? ""
            do {
                var amount: Int64?
                var multiple: Int64?
                if form["remove"] == nil {
                    let currency = try await directory.tenant(tenantId).currency
                    let typed = (
                        page.velocity.amount.trimmingCharacters(in: .whitespaces), page.velocity.multiple.trimmingCharacters(in: .whitespaces)
                    )
                    if !typed.0.isEmpty { amount = try MoneyText.amount(typed.0, currency, field: .invalidAmount, example: "50.00") }
                    if !typed.1.isEmpty {
                        guard let number = Int64(typed.1) else {
                            throw Refusal.invalid(.invalidMultiple, "The multiple is a whole number, such as 5.")
                        }
                        multiple = number
                    }
                    guard amount != nil || multiple != nil else {
                        throw Refusal.invalid(.invalidAmount, "Give an hourly amount, a multiple of the usual spend, or both; or turn the alarm off.")
                    }
                }
                try await controls.setVelocityAlarm(hourlyAmountMinor: amount, usualMultiple: multiple, of: tenantId, by: principal.actor)
                return Response.redirect(to: "/admin/billing/spend-controls?saved=velocity#velocity-alarm", type: .normal)
            } catch let error as Refusal {
                page.velocity.error = error.inWords
                return pages.render("spend-controls", page, status: .unprocessableContent)
            }
        }
        router.post("billing/spend-controls/resume") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let (principal, tenantId) = try context.administrator(may: .buy)
            try await controls.resumeSuspendedCalls(of: tenantId, by: principal.actor)
            let back = form["from"] == "credits" ? "/admin/billing/credits?resumed=1" : "/admin/billing/spend-controls?saved=resumed#velocity-alarm"
            return Response.redirect(to: back, type: .normal)
        }
    }
}
