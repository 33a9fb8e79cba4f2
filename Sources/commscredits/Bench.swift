import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore
import Dispatch
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the service on this machine; prints one line per figure: BENCH <name> <value> <unit>.",
        subcommands: [Ledger.self, Calls.self, Outbox.self, Usage.self, SignIns.self]
    )

    struct SignIns: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The cost of counting a failed sign-in, with an empty table and with 20,000 names in it (SignInFailures, in process)."
        )

        func run() async throws {
            var failures = SignInFailures()
            let start = SystemClock().now()
            func fail(_ names: Range<Int>, prefix: String, at offset: Int64) -> Double {
                let began = DispatchTime.now().uptimeNanoseconds
                for index in names {
                    if case let .success(attempt) = failures.begin(
                        name: "\(prefix)\(index)@contoso.com",
                        address: nil,
                        at: start.adding(seconds: offset + Int64(index) / 100)
                    ) {
                        failures.finish(attempt, succeeded: false)
                    }
                }
                return Double(DispatchTime.now().uptimeNanoseconds - began) / 1_000 / Double(names.count)
            }
            let empty = fail(0..<1_000, prefix: "probe", at: 0)
            _ = fail(0..<20_000, prefix: "flood", at: 10)
            let full = fail(0..<1_000, prefix: "late", at: 300)
            print("BENCH sign_in_failure_microseconds_empty_table \(String(format: "%.2f", empty)) us")
            print("BENCH sign_in_failure_microseconds_after_20000_names \(String(format: "%.2f", full)) us")
            print("BENCH sign_in_failure_table_entries \(failures.count) entries")
        }
    }

    struct Ledger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Charges and holds per second against the SQLite store, every commit synced to disk."
        )

        @Option(help: "Charges applied one by one by one caller, each in its own transaction (four times as many for 64 callers).")
        var single = 5_000

        @Option(help: "Batches of \(LedgerLimits.maximumBatchSize) charges, each batch one transaction.")
        var batches = 25

        @Option(help: "The database to measure (default: a new file in the temporary directory).")
        var database: String?

        func run() async throws {
            let path =
                database ?? "sqlite:"
                + FileManager.default.temporaryDirectory
                .appendingPathComponent("commscredits-bench-\(UUID().uuidString).sqlite").path
            try await DatabaseLocation(path).withStores { stores in
                let store = stores.ledger
                var bench = LedgerBenchmark(store: store, now: SystemClock().now())
                try await bench.prepare()
                try await bench.chargesOneByOne(single)
                try await bench.chargesOneByOneConcurrently(single * 4, callers: 64)
                try await bench.chargesInBatches(batches)
                try await bench.holdsAndPostsOneByOne(single / 2)
                try await bench.holdsAndPostsInBatches(batches)
                let verification = try await store.verify()
                guard verification.isConsistent else { throw ValidationError("\(verification)") }
            }
        }
    }
}

/// The ledger's figures: each runs real requests through the store, keyed as a caller would.
struct LedgerBenchmark {
    let store: any LedgerStore
    let now: Instant
    let tenant = TenantId("bench")
    var sequence = 0

    mutating func prepare() async throws {
        try await store.openAccount(tenant, currency: .usd, at: now)
        _ = try await store.execute(request(.addFunds(source: .purchase, amountMinor: 1_000_000_000_000)), for: tenant, at: now)
    }

    mutating func chargesOneByOne(_ count: Int) async throws {
        let requests = (0..<count).map { _ in request(.charge(amountMinor: 7, coverage: .availableOnly)) }
        let seconds = try await measure {
            for request in requests { _ = try await store.execute(request, for: tenant, at: now) }
        }
        report("ledger_charges_one_by_one_per_second", Double(count) / seconds, "charges/s")
    }

    /// Single-charge requests from many callers at once, as an HTTP server receives them;
    /// requests that arrive during a commit share the next one.
    mutating func chargesOneByOneConcurrently(_ count: Int, callers: Int) async throws {
        let requests = (0..<count).map { _ in request(.charge(amountMinor: 7, coverage: .availableOnly)) }
        let (store, tenant, now) = (self.store, self.tenant, self.now)
        let seconds = try await measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<min(callers, requests.count) {
                    group.addTask {
                        for request in requests[caller...].striding(by: callers) {
                            _ = try await store.execute(request, for: tenant, at: now)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        report("ledger_charges_one_by_one_\(callers)_callers_per_second", Double(count) / seconds, "charges/s")
    }

    mutating func chargesInBatches(_ count: Int) async throws {
        let batches = (0..<count).map { _ in
            (0..<LedgerLimits.maximumBatchSize).map { _ in request(.charge(amountMinor: 7, coverage: .availableOnly)) }
        }
        let seconds = try await measure {
            for batch in batches { try await expectAllApplied(try await store.execute(batch, for: tenant, at: now)) }
        }
        report("ledger_charges_batched_per_second", Double(count * LedgerLimits.maximumBatchSize) / seconds, "charges/s")
    }

    mutating func holdsAndPostsOneByOne(_ count: Int) async throws {
        let pairs = (0..<count).map { holdPair($0, prefix: "single") }
        let seconds = try await measure {
            for pair in pairs {
                _ = try await store.execute(pair.0, for: tenant, at: now)
                _ = try await store.execute(pair.1, for: tenant, at: now)
            }
        }
        report("ledger_hold_post_pairs_one_by_one_per_second", Double(count) / seconds, "pairs/s")
    }

    mutating func holdsAndPostsInBatches(_ count: Int) async throws {
        let pairsPerBatch = LedgerLimits.maximumBatchSize / 2
        let batches = (0..<count).map { batch in
            (0..<pairsPerBatch).flatMap { index in
                let pair = holdPair(batch * pairsPerBatch + index, prefix: "batched")
                return [pair.0, pair.1]
            }
        }
        let seconds = try await measure {
            for batch in batches { try await expectAllApplied(try await store.execute(batch, for: tenant, at: now)) }
        }
        report("ledger_hold_post_pairs_batched_per_second", Double(count * pairsPerBatch) / seconds, "pairs/s")
    }

    private mutating func holdPair(_ index: Int, prefix: String) -> (LedgerRequest, LedgerRequest) {
        let holdId = HoldId("\(prefix)-call-\(index)")
        return (
            request(.reserve(holdId: holdId, amountMinor: 60, expiresAt: now.adding(seconds: 3600))),
            request(.postHold(holdId: holdId, amountMinor: 23))
        )
    }

    private mutating func request(_ command: LedgerCommand) -> LedgerRequest {
        sequence += 1
        return LedgerRequest(key: try! IdempotencyKey("bench-\(sequence)"), command: command)
    }

    private func expectAllApplied(_ results: [Result<LedgerReceipt, LedgerError>]) async throws {
        for result in results { _ = try result.get() }
    }

    private func measure(_ body: () async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        let elapsed = try await clock.measure { try await body() }
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func report(_ name: String, _ value: Double, _ unit: String) {
        print("BENCH \(name) \(Int(value.rounded())) \(unit)")
    }
}

extension ArraySlice {
    /// Every `step`-th element from the start of the slice.
    func striding(by step: Int) -> [Element] {
        stride(from: startIndex, to: endIndex, by: step).map { self[$0] }
    }
}
