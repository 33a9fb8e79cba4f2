import CreditsCore
import Hummingbird
import Reports

/// `GET .../reports/funding-advice`: every figure with the numbers it came from and a `basis`
/// sentence saying how; `ready` is false (and only `detail` says why) before a full day of history.
struct FundingAdviceBody: ResponseEncodable {
    struct DailySpend: Encodable {
        let from, to: String
        let days: Int64
        let dailyMinor: [Int64]
        let totalMinor, meanMinor, p95Minor: Int64
        let p95Rank: Int
        let basis: String
    }

    struct Runway: Encodable {
        let balanceMinor, meanDailySpendMinor: Int64
        let days: Int64?
        let runsOutOn: String?
        let basis: String
    }

    struct Trigger: Encodable {
        let amountMinor, coverDays, p95DailySpendMinor, neededMinor: Int64
        let basis: String
    }

    struct Recharge: Encodable {
        let amountMinor, targetDays, targetMinor, p95DailySpendMinor, lifetimeDays, meanDailySpendMinor, triggerMinor: Int64
        let spendableBeforeExpiryMinor: Int64
        let limitedBy: String
        let basis: String
    }

    struct LotForecast: Encodable {
        let lotId: Int64
        let expiresAt: String
        let remainingMinor, meanDailySpendMinor, spendableMinor, forfeitMinor: Int64
        let usedUpOn: String?
        let basis: String
    }

    let currency: String
    let asOf: String
    let ready: Bool
    var detail: String?
    var dailySpend: DailySpend?
    var runway: Runway?
    var recommendedTrigger: Trigger?
    var recommendedRecharge: Recharge?
    var forfeitureForecast: [LotForecast]?
    var forecastForfeitMinor: Int64?

    init(notReady currency: Currency, at now: Instant) {
        self.currency = currency.code
        asOf = ISO8601.format(now)
        ready = false
        detail = "There is no full day of history since the first purchase yet: advice starts the day after."
    }

    init(_ advice: FundingAdvice) {
        let text = FundingAdviceText(advice)
        let spend = advice.spend
        currency = advice.currency.code
        asOf = ISO8601.format(advice.asOf)
        ready = true
        dailySpend = DailySpend(
            from: ISO8601.formatDate(spend.firstDay),
            to: ISO8601.formatDate(spend.lastDay),
            days: spend.days,
            dailyMinor: spend.dailyMinor,
            totalMinor: spend.totalMinor,
            meanMinor: spend.meanMinor,
            p95Minor: spend.p95Minor,
            p95Rank: spend.p95Rank,
            basis: text.dailySpend
        )
        runway = Runway(
            balanceMinor: advice.runway.balanceMinor,
            meanDailySpendMinor: spend.meanMinor,
            days: advice.runway.days,
            runsOutOn: advice.runway.runsOutOn.map(ISO8601.formatDate),
            basis: text.runway
        )
        let trigger = advice.trigger
        recommendedTrigger = Trigger(
            amountMinor: trigger.amountMinor,
            coverDays: trigger.coverDays,
            p95DailySpendMinor: spend.p95Minor,
            neededMinor: trigger.neededMinor,
            basis: text.trigger
        )
        let recharge = advice.recharge
        recommendedRecharge = Recharge(
            amountMinor: recharge.amountMinor,
            targetDays: recharge.targetDays,
            targetMinor: recharge.targetMinor,
            p95DailySpendMinor: spend.p95Minor,
            lifetimeDays: recharge.lifetimeDays,
            meanDailySpendMinor: spend.meanMinor,
            triggerMinor: trigger.amountMinor,
            spendableBeforeExpiryMinor: recharge.spendableBeforeExpiryMinor,
            limitedBy: recharge.limitedBy.rawValue,
            basis: text.recharge
        )
        forfeitureForecast = advice.lots.map { lot in
            LotForecast(
                lotId: lot.lotId.rawValue,
                expiresAt: ISO8601.format(lot.expiresAt),
                remainingMinor: lot.remainingMinor,
                meanDailySpendMinor: spend.meanMinor,
                spendableMinor: lot.spendableMinor,
                forfeitMinor: lot.forfeitMinor,
                usedUpOn: lot.usedUpOn.map(ISO8601.formatDate),
                basis: text.lot(lot)
            )
        }
        forecastForfeitMinor = advice.forecastForfeitMinor
    }
}
