import CreditsCore
import CreditsStore
import Foundation
import Simulation
import Testing

/// Thousands of random operations (purchases, charges, holds, expiries, repeats, clock jumps
/// over month ends and a leap day, reopening the file), checking after every step that money
/// is conserved, no lot goes below zero, funds are used in order, and a repeat changes nothing.
/// `LEDGER_SEED=N swift test --filter GeneratedLedgerTests` replays one seed.
@Suite struct GeneratedLedgerTests {
    static let operationsPerRun = Int(ProcessInfo.processInfo.environment["LEDGER_OPERATIONS"] ?? "") ?? 5_000
    static let seeds: [UInt64] = ProcessInfo.processInfo.environment["LEDGER_SEED"].flatMap(UInt64.init).map { [$0] } ?? [1, 2]

    @Test(arguments: StoreKind.allCases, seeds)
    func mixedOperationsKeepEveryInvariant(kind: StoreKind, seed: UInt64) async throws {
        var run = try await GeneratedRun(kind: kind, seed: seed)
        for step in 0..<Self.operationsPerRun {
            try await run.step(step)
        }
        let verification = try await run.ledger.store.verify()
        #expect(verification.isConsistent, "seed \(seed): \(verification)")
        #expect(run.boughtLeapDayLot, "the clock crossed 29 February and bought a lot on it")
        let kinds = ["addFunds", "charge", "reserve", "extendHold", "postHold", "voidHold", "refund", "refused", "settleDue", "repeat", "conflict"]
        #expect(kinds.allSatisfy { run.checks[$0, default: 0] > 0 }, "every kind of operation ran: \(run.checks)")
    }
}

struct GeneratedRun {
    var ledger: Ledger
    let seed: UInt64
    var random: SplitMix64
    var now = Instant.at("2027-12-20T08:00:00Z")
    let leapDay = Instant.at("2028-02-29T12:00:00Z")
    var boughtLeapDayLot = false
    var landedOnLeapDay = false
    var seenTransaction = TransactionId(0)
    var totals = Totals()
    var applied: [(key: String, command: LedgerCommand, receipt: LedgerReceipt)] = []
    var checks: [String: Int] = [:]

    struct Totals {
        var boughtMinor: Int64 = 0
        var refundedMinor: Int64 = 0
        var consumedMinor: Int64 = 0
        var forfeitedMinor: Int64 = 0
    }

    init(kind: StoreKind, seed: UInt64) async throws {
        ledger = try await Ledger(kind)
        self.seed = seed
        random = SplitMix64(seed: seed)
    }

    mutating func step(_ step: Int) async throws {
        let statement = try await ledger.statement(at: now)
        let key = "op-\(step)"
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<10:
            let source: Lot.Source = Bool.random(using: &random) ? .purchase : .recharge
            try await apply(key, .addFunds(source: source, amountMinor: .random(in: 1...50_000, using: &random)), statement)
        case 10..<30:
            let ceiling = max(1, statement.figures.availableMinor + statement.figures.availableMinor / 5 + 10)
            try await apply(key, .charge(amountMinor: .random(in: 1...ceiling, using: &random), coverage: .availableOnly), statement)
        case 30..<34:
            try await apply(key, .charge(amountMinor: .random(in: 1...5_000, using: &random), coverage: .mayIncurDebt), statement)
        case 34..<50:
            let ceiling = max(1, statement.figures.availableMinor + statement.figures.availableMinor / 10 + 10)
            let expiresAt = now.adding(seconds: .random(in: 30...1_200, using: &random))
            try await apply(
                key,
                .reserve(
                    holdId: HoldId("call-\(step)"),
                    amountMinor: .random(in: 1...ceiling, using: &random),
                    expiresAt: expiresAt
                ),
                statement
            )
        case 50..<55:
            guard let hold = statement.openHolds.randomElement(using: &random) else { return }
            let additional = Int64.random(in: 0...max(0, statement.figures.availableMinor / 4), using: &random)
            try await apply(
                key,
                .extendHold(
                    holdId: hold.id,
                    additionalMinor: additional,
                    expiresAt: now.adding(seconds: .random(in: 1...900, using: &random))
                ),
                statement
            )
        case 55..<67:
            guard let hold = statement.openHolds.randomElement(using: &random) else { return }
            let amount = Int64.random(in: 0...(hold.openMinor * 3 / 2), using: &random)
            try await apply(key, .postHold(holdId: hold.id, amountMinor: amount), statement)
        case 67..<71:
            guard let hold = statement.openHolds.randomElement(using: &random) else { return }
            try await apply(key, .voidHold(holdId: hold.id), statement)
        case 71..<73:
            guard let lot = statement.lots.filter({ $0.freeMinor > 0 && !$0.isExpired(at: now) }).randomElement(using: &random) else { return }
            try await apply(key, .refund(lotId: lot.id, amountMinor: .random(in: 1...lot.freeMinor, using: &random)), statement)
        case 73..<78:
            _ = try await ledger.store.settleDue(at: now)
            try await check("settleDue")
        case 78..<84:
            try await repeatEarlierRequest()
        case 84..<87:
            try await reuseKeyForOtherContent()
        case 87..<98:
            advanceClock()
            if landedOnLeapDay {
                landedOnLeapDay = false
                try await apply("leap-day", .addFunds(source: .purchase, amountMinor: 10_000), try await ledger.statement(at: now))
            }
        default:
            if ledger.kind != .memory {
                try await ledger.reopen()
                try await check("reopen")
            }
        }
        if step % 500 == 499 {
            let verification = try await ledger.store.verify()
            #expect(verification.isConsistent, "seed \(seed), step \(step): \(verification)")
        }
    }

    /// Runs a command and checks every invariant; where it drew free funds, checks the order.
    mutating func apply(_ key: String, _ command: LedgerCommand, _ before: CreditStatement) async throws {
        let result = try await ledger.run(key, command, at: now)
        let name = String(command.fingerprint.prefix { $0 != " " })
        let fresh = try await check(result.isSuccess ? name : "refused")
        guard case let .success(receipt) = result else { return }
        applied.append((key, command, receipt))
        let own = try #require(fresh.first { $0.receipt.transactionId == receipt.transactionId })
        switch command {
        case .charge, .reserve:
            let drawn = own.entries.filter { $0.account == .lotFree && $0.amountMinor < 0 }.map { ($0.lotId!, -$0.amountMinor) }
            let expected = Self.oldestFirst(taking: min(receipt.amountMinor, max(0, before.figures.availableMinor)), from: before.lots, at: now)
            #expect(
                drawn.map(\.0) == expected.map(\.0) && drawn.map(\.1) == expected.map(\.1),
                "seed \(seed): \(command) drew \(drawn), expected \(expected)"
            )
        default:
            break
        }
    }

    /// The free funds a draw should take: oldest first, skipping lots expired by `now`.
    static func oldestFirst(taking amount: Int64, from lots: [Lot], at now: Instant) -> [(LotId, Int64)] {
        var wanted = amount
        var taken: [(LotId, Int64)] = []
        for lot in lots.sorted(by: Lot.consumedBefore) where wanted > 0 && lot.freeMinor > 0 && !lot.isExpired(at: now) {
            let part = min(wanted, lot.freeMinor)
            taken.append((lot.id, part))
            wanted -= part
        }
        return taken
    }

    mutating func repeatEarlierRequest() async throws {
        guard let earlier = applied.randomElement(using: &random) else { return }
        let before = try await ledger.snapshot(at: now)
        let again = try await ledger.run(earlier.key, earlier.command, at: now)
        #expect(again == .success(earlier.receipt), "seed \(seed): a repeat must return the first receipt")
        #expect(try await ledger.snapshot(at: now) == before, "seed \(seed): a repeat must change nothing")
        try await check("repeat")
    }

    mutating func reuseKeyForOtherContent() async throws {
        guard let earlier = applied.randomElement(using: &random) else { return }
        let other = LedgerCommand.charge(amountMinor: 1_000_000_007, coverage: .mayIncurDebt)
        let before = try await ledger.snapshot(at: now)
        let result = try await ledger.run(earlier.key, other, at: now)
        #expect(result == .failure(.idempotencyConflict(try IdempotencyKey(earlier.key))), "seed \(seed)")
        #expect(try await ledger.snapshot(at: now) == before, "seed \(seed): a conflict must change nothing")
        try await check("conflict")
    }

    mutating func advanceClock() {
        let seconds: Int64 =
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<70: .random(in: 0...900, using: &random)
            case 70..<90: .random(in: 3_600...5 * 86_400, using: &random)
            case 90..<98: .random(in: 20 * 86_400...70 * 86_400, using: &random)
            default: .random(in: 180 * 86_400...400 * 86_400, using: &random)
            }
        now = now.adding(seconds: seconds)
        if !boughtLeapDayLot, now >= leapDay {
            // Once, exactly on 29 February: that lot must expire on 28 February.
            now = leapDay
            boughtLeapDayLot = true
            landedOnLeapDay = true
        }
        checks["advanceClock", default: 0] += 1
    }

    /// Checks the invariants after a step; returns the transactions the step wrote.
    @discardableResult
    mutating func check(_ name: String) async throws -> [JournalTransaction] {
        checks[name, default: 0] += 1
        let fresh = try await ledger.transactions(after: seenTransaction)
        for transaction in fresh {
            let receipt = transaction.receipt
            switch receipt.kind {
            case .purchase, .recharge:
                totals.boughtMinor += receipt.amountMinor
                let lot = try await ledger.lot(receipt.lotId, at: now)
                #expect(lot.expiresAt == receipt.occurredAt.adding(months: 12), "seed \(seed): a lot lasts 12 months")
                if receipt.occurredAt == leapDay { #expect(lot.expiresAt == .at("2029-02-28T12:00:00Z")) }
            case .refund: totals.refundedMinor += receipt.amountMinor
            default: break
            }
            totals.consumedMinor += receipt.consumedMinor
            totals.forfeitedMinor += receipt.forfeitedMinor
            seenTransaction = receipt.transactionId
        }
        let statement = try await ledger.statement(at: now)
        let free = statement.lots.reduce(0) { $0 + $1.freeMinor }
        let held = statement.lots.reduce(0) { $0 + $1.heldMinor }
        #expect(
            totals.boughtMinor - totals.refundedMinor
                == totals.consumedMinor + totals.forfeitedMinor + free + held - statement.figures.debtMinor,
            "seed \(seed): money is conserved after \(name)"
        )
        for lot in statement.lots {
            #expect(
                lot.freeMinor >= 0 && lot.heldMinor >= 0 && lot.consumedMinor >= 0 && lot.forfeitedMinor >= 0,
                "seed \(seed): lot \(lot.id) below zero after \(name)"
            )
        }
        #expect(
            statement.figures.debtMinor == 0 || statement.lots.allSatisfy { $0.freeMinor == 0 },
            "seed \(seed): debt is repaid before funds stay free"
        )
        #expect(statement.openHolds.reduce(0) { $0 + $1.openMinor } == held, "seed \(seed): holds and lots agree")
        return Array(fresh)
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }
}
