import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import Foundation

extension Bench {
    struct Usage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fill a database with the tenant 'bench' and usage records spread over the last 300 days, for measuring reports."
        )

        @Option(help: "How many usage records to charge, in batches of \(LedgerLimits.maximumBatchSize).") var records = 1_000_000
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await DatabaseLocation(options.database).withStores { stores in
                let clock = ManualClock(SystemClock().now())
                let calls = Calls.callService(stores, clock)
                _ = try await calls.importRates(SampleRateDeck.csv, currency: .usd)
                let tenant = try await Calls.prepare(stores, TenantId("bench"), clock)
                let first = clock.now().adding(days: -300)
                let spacing = 300 * Instant.millisecondsPerDay / Int64(max(records, 1))
                let elapsed = try await ContinuousClock().measure {
                    for batchStart in stride(from: 0, to: records, by: LedgerLimits.maximumBatchSize) {
                        let batch = try (batchStart..<min(batchStart + LedgerLimits.maximumBatchSize, records)).map { index in
                            try Calls.upload(
                                "record-\(index)",
                                index: index,
                                startTime: Instant(millisecondsSinceEpoch: first.millisecondsSinceEpoch + Int64(index) * spacing),
                                administrativeUnits: index % 10 == 0 ? "Sales, \"EMEA\"" : nil
                            )
                        }
                        for result in try await calls.record(batch, for: tenant) {
                            guard case .charged = result else { throw ValidationError("not charged: \(result)") }
                        }
                    }
                }
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print("BENCH usage_records_filled_per_second \(Int((Double(records) / seconds).rounded())) records/s")
            }
        }
    }
}
