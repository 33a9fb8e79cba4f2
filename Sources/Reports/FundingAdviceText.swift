public import CreditsCore

/// Each figure of `FundingAdvice` said in a sentence with the numbers it came from, for the
/// API's `basis` fields and the product page alike.
public struct FundingAdviceText: Sendable {
    public let advice: FundingAdvice

    public init(_ advice: FundingAdvice) {
        self.advice = advice
    }

    private func money(_ amountMinor: Int64) -> String { MoneyText.forPeople(amountMinor, advice.currency) }

    public var dailySpend: String {
        let spend = advice.spend
        return "\(money(spend.totalMinor)) was spent from the credits in the \(spend.days) full day\(spend.days == 1 ? "" : "s") "
            + "from \(ReadableDate.day(spend.firstDay)) to \(ReadableDate.day(spend.lastDay)): \(money(spend.meanMinor)) a day on average, "
            + "and no more than \(money(spend.p95Minor)) on 95 % of days (day \(spend.p95Rank) of \(spend.days) from the least spent)."
    }

    public var runway: String {
        let runway = advice.runway
        guard let days = runway.days, let date = runway.runsOutOn else {
            return "Nothing was spent from the credits in those days: at that rate the balance of \(money(runway.balanceMinor)) does not run out."
        }
        return
            "The balance of \(money(runway.balanceMinor)) at \(money(advice.spend.meanMinor)) a day lasts \(days) day\(days == 1 ? "" : "s"), to \(ReadableDate.day(date))."
    }

    public var trigger: String {
        let trigger = advice.trigger
        let needed =
            "\(trigger.coverDays) day\(trigger.coverDays == 1 ? "" : "s") at \(money(advice.spend.p95Minor)) (the 95th percentile) "
            + "is \(money(trigger.neededMinor))"
        let bounds = PurchaseLimits.amountRange(advice.currency)
        return switch trigger.amountMinor {
        case bounds.lowerBound where trigger.neededMinor < bounds.lowerBound:
            needed + "; the smallest amount allowed is \(money(trigger.amountMinor))."
        case bounds.upperBound where trigger.neededMinor > bounds.upperBound:
            needed + "; the largest amount allowed is \(money(trigger.amountMinor))."
        case trigger.neededMinor: needed + "."
        default: needed + ", \(money(trigger.amountMinor)) in whole units."
        }
    }

    public var recharge: String {
        let recharge = advice.recharge
        let target = "\(recharge.targetDays) days at \(money(advice.spend.p95Minor)) is \(money(recharge.targetMinor)) in whole units"
        let expiry =
            "a lot bought now expires in \(recharge.lifetimeDays) days, in which \(money(advice.spend.meanMinor)) a day, after the "
            + "trigger's \(money(advice.trigger.amountMinor)) of older funds, spends \(money(recharge.spendableBeforeExpiryMinor))"
        return switch recharge.limitedBy {
        case .target: "\(target); \(expiry), so all of it is spent before it expires."
        case .expiry: "\(target), but \(expiry): \(money(recharge.amountMinor)) in whole units, so that none is forfeited."
        case .minimumPurchase: "\(target) and \(expiry); the smallest purchase is \(money(recharge.amountMinor))."
        case .maximumPurchase: "\(target); the largest purchase is \(money(recharge.amountMinor))."
        }
    }

    public func lot(_ forecast: FundingAdvice.LotForecast) -> String {
        let head = "Lot \(forecast.lotId): \(money(forecast.remainingMinor)) left, expiring \(ReadableDate.day(forecast.expiresAt))"
        if let usedUpOn = forecast.usedUpOn {
            return
                "\(head); at \(money(advice.spend.meanMinor)) a day, after the lots before it, it is used up by \(ReadableDate.day(usedUpOn)): nothing forfeited."
        }
        return "\(head); at \(money(advice.spend.meanMinor)) a day, after the lots before it, \(money(forecast.spendableMinor)) of it is spent "
            + "by then: \(money(forecast.forfeitMinor)) forecast to be forfeited."
    }
}
