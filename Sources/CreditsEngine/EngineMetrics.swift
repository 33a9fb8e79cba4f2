import CreditsCore
import Metrics

/// What the engine counts for `/metrics`. Each figure is looked up when recorded, so that it
/// goes to whatever metrics backend the process has bootstrapped by then.
enum EngineMetrics {
    /// A call or usage record charged: how many, and how much in each currency.
    static func charged(_ chargeMinor: Int64, _ currency: Currency, source: UsageRecord.Source) {
        Counter(label: "commscredits_charges_total", dimensions: [("source", source.rawValue)]).increment()
        Counter(label: "commscredits_charged_minor_total", dimensions: [("currency", currency.code)]).increment(by: chargeMinor)
    }

    static func recharged(succeeded: Bool, reason: String? = nil) {
        Counter(
            label: "commscredits_recharges_total",
            dimensions: [("outcome", succeeded ? "succeeded" : "failed")] + (reason.map { [("reason", $0)] } ?? [])
        ).increment()
    }
}
