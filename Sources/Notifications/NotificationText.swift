public import CreditsCore

/// What a notification says, for a person: what happened, where the balance stands, and what
/// to do. The same paragraphs make the plain-text and the HTML body.
public struct NotificationText: Hashable, Sendable {
    public let subject: String
    public let paragraphs: [String]

    /// `postUsage`: where the tenant's post-usage billing stands, which decides what a used-up
    /// balance means (no subject depends on it).
    public init(_ notification: CreditNotification, tenantName: String, postUsage: PostUsageStatus = .prepaid) {
        let currency = notification.currency
        func money(_ amountMinor: Int64) -> String { MoneyText.forPeople(amountMinor, currency) }
        let when = ReadableDate.minute(notification.occurredAt) + " UTC"
        let balance = "The balance is now \(money(notification.balanceMinor))."
        switch notification.event {
        case let .rechargeSucceeded(_, amount):
            subject = "\(tenantName): auto-recharge added \(money(amount)) of Communications Credits"
            paragraphs = [
                "Auto-recharge added \(money(amount)) to the Communications Credits of \(tenantName) at \(when).",
                balance,
                "Nothing to do. These funds expire 12 months after today; the invoice is under Billing > Invoices.",
            ]
        case let .rechargeFailed(_, amount, reason):
            let error = reason.error
            subject = "\(tenantName): auto-recharge of \(money(amount)) failed (\(Self.plain(reason)))"
            paragraphs = [
                "Auto-recharge of \(money(amount)) for \(tenantName) failed at \(when): \(error.detail)",
                balance,
                "What to do: \(error.remedy ?? "Check the payment method.") No new recharge is tried for \(RechargePolicy.backOffSeconds / 60) minutes.",
            ]
        case let .rechargeStopped(_, amount):
            subject =
                "\(tenantName): auto-recharge stopped after \(RechargePolicy.burstLimit) recharges in \(RechargePolicy.burstWindowSeconds / 60) minutes"
            paragraphs = [
                "Auto-recharge of \(money(amount)) for \(tenantName) was stopped at \(when): more than \(RechargePolicy.burstLimit) recharges started within \(RechargePolicy.burstWindowSeconds / 60) minutes.",
                balance,
                "What to do: check the PSTN usage report for unexpected calls. Recharges start again once \(RechargePolicy.burstWindowSeconds / 60) minutes pass without a burst.",
            ]
        case .balanceExhausted:
            let usedUp = postUsage.usedUpBalance
            subject = "\(tenantName): the Communications Credits balance is used up"
            paragraphs = [
                "The Communications Credits balance of \(tenantName) reached zero at \(when). \(usedUp.consequence)",
                balance,
                "What to do: \(usedUp.whatToDo)",
            ]
        case let .balanceBelowTrigger(_, trigger):
            subject = "\(tenantName): the Communications Credits balance fell below \(money(trigger))"
            paragraphs = [
                "The Communications Credits balance of \(tenantName) fell below \(money(trigger)) at \(when). Auto-recharge is off, so it will not refill by itself.",
                balance,
                "What to do: buy credits, or turn on auto-recharge under Billing settings.",
            ]
        case let .lotExpiring(lot, remaining, expiresAt, days):
            subject = "\(tenantName): \(money(remaining)) of Communications Credits expire in \(days) days"
            paragraphs = [
                "\(money(remaining)) of the Communications Credits of \(tenantName) (lot \(lot)) expire on \(ReadableDate.day(expiresAt)). Funds are forfeited when they expire, and are not refunded.",
                balance,
                "What to do: nothing if calls will use them by then; otherwise keep the next purchase or recharge small.",
            ]
        case let .conferencingPoolUsed(month, percent):
            subject = "\(tenantName): \(percent) % of this month's conferencing dial-out minutes used"
            paragraphs = [
                "\(tenantName) has used \(percent) % of its conferencing dial-out minutes for \(ReadableDate.month(month)).",
                percent >= 100
                    ? "Dial-out calls are now paid from Communications Credits until the minutes renew on the first of next month. \(balance)"
                    : "When the minutes run out, dial-out calls are paid from Communications Credits. \(balance)",
                "What to do: make sure the balance covers the rest of the month, or turn on auto-recharge.",
            ]
        case let .postUsageInvoiceIssued(invoice, amount, month):
            subject = "\(tenantName): post-usage invoice for \(ReadableDate.month(month)): \(money(amount))"
            paragraphs = [
                "Invoice \(invoice) bills \(tenantName) \(money(amount)) for calls in \(ReadableDate.month(month)) made after the Communications Credits balance was used up.",
                balance,
                "Nothing to do: it is billed with your subscription.",
            ]
        case let .unlicensedUse(day, usageId):
            subject = "\(tenantName): calls of users without the license they need were charged"
            paragraphs = [
                "On \(ReadableDate.day(day)), the telephony platform reported calls of \(tenantName) (the first: \(usageId)) by users who lack Communications Credits or a calling plan. The calls took place, so the credits paid for them; the usage report marks them as unlicensed use.",
                balance,
                "What to do: assign the missing licenses under Users > Active users, or find out why these users could place such calls.",
            ]
        case let .rechargeCapReached(month, cap):
            subject = "\(tenantName): auto-recharge paused for \(ReadableDate.month(month)): the monthly cap of \(money(cap)) is reached"
            paragraphs = [
                "Another auto-recharge would take what \(tenantName) recharged in \(ReadableDate.month(month)) past the monthly cap of \(money(cap)), so auto-recharge is paused until the first of next month (UTC).",
                balance,
                "What to do: buy credits by hand if calls need them (a purchase still works), or raise the cap under Billing > Spend controls. If the recharges were not expected, check for calls nobody meant to make.",
            ]
        case let .velocityAlarm(suspension):
            subject = "\(tenantName): international and premium calls suspended: credits spent unusually fast"
            paragraphs = [
                "At \(ReadableDate.minute(suspension.since)) UTC, calls of \(tenantName) had spent or held \(money(suspension.spentMinor)) of Communications Credits within an hour, more than the velocity alarm allows (\(money(suspension.thresholdMinor))). International calls and calls to premium numbers that credits pay for are suspended; domestic calls, calls a calling plan pays for, and emergency calls go on.",
                balance,
                "What to do: find out who made these calls (Usage reports, sorted by charge). If they are toll fraud, block the numbers or users under Billing > Spend controls and reset the accounts' passwords; then resume the calls on the Communications Credits page.",
            ]
        case let .unitSpendLimitUsed(unit, month, percent, limit):
            subject = "\(tenantName): the administrative unit \(unit) has used \(percent) % of its monthly spend limit"
            paragraphs = [
                "The calls of the users in \(unit) have used \(percent) % of the unit's Communications Credits spend limit of \(money(limit)) for \(ReadableDate.month(month)).",
                percent >= 100
                    ? "Their calls that credits pay for are now refused until the limit resets on the first of next month (UTC); calls a calling plan pays for, and emergency calls, go on. \(balance)"
                    : "Once the limit is reached, their calls that credits pay for are refused until the first of next month. \(balance)",
                "What to do: nothing if this is expected; otherwise raise the unit's limit under Billing > Spend controls, or find out who is making these calls.",
            ]
        case let .spendLimitUsed(upn, month, percent, limit):
            subject = "\(tenantName): \(upn) has used \(percent) % of their monthly spend limit"
            paragraphs = [
                "The calls of \(upn) have used \(percent) % of their Communications Credits spend limit of \(money(limit)) for \(ReadableDate.month(month)).",
                percent >= 100
                    ? "Their calls that credits pay for are now refused until the limit resets on the first of next month (UTC); calls a calling plan pays for, and emergency calls, go on. \(balance)"
                    : "Once the limit is reached, their calls that credits pay for are refused until the first of next month. \(balance)",
                "What to do: nothing if this is expected; otherwise raise the limit under Billing > Spend controls, or find out who is making these calls.",
            ]
        }
    }

    public var text: String { paragraphs.joined(separator: "\n\n") + "\n" }

    public var html: String {
        let body = paragraphs.map { "<p>\(Self.escaped($0))</p>" }.joined(separator: "\n")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(Self.escaped(subject))</title></head>
            <body style="font-family: sans-serif; color: #1b1b1b">
            <h1 style="font-size: 1.2em">\(Self.escaped(subject))</h1>
            \(body)
            </body></html>
            """
    }

    private static func plain(_ reason: PaymentFailureReason) -> String {
        switch reason {
        case .cardExpired: "the card has expired"
        case .cardDeclined: "the card was declined"
        case .gatewayUnavailable: "the payment provider did not answer"
        case .noPaymentMethod: "no payment method on file"
        }
    }

    static func escaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
