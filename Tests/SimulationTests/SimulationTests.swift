import Foundation
import Simulation
import Testing

/// The simulator over a few seeds, its replay, and its power to fail: each planted bug is
/// caught. (CI runs 1,000 seeds on the release build: `.ci/simulate`.)
@Suite struct SimulationTests {
    static let seeds = UInt64(ProcessInfo.processInfo.environment["SIMULATION_SEEDS"] ?? "") ?? 20

    @Test func everySeedKeepsEveryInvariant() async throws {
        var operations: [String: Int] = [:]
        var events: [String: Int] = [:]
        var copies = 0
        for seed in 1...Self.seeds {
            let report = try await Simulation.run(seed: seed)
            operations.merge(report.operations, uniquingKeysWith: +)
            events.merge(report.events, uniquingKeysWith: +)
            copies += report.notificationCopies
        }
        let everyOperation = [
            "purchase", "repeatPurchase", "autoRecharge", "startCall", "continueCall", "upload", "changeLicenses",
            "switchModel", "createTenant", "advanceClock", "advanceMonths", "crash", "crashed", "dueWork", "refused",
        ]
        #expect(everyOperation.filter { operations[$0, default: 0] == 0 }.isEmpty, "every operation ran: \(operations)")
        let everyEvent = ["lotExpiry", "holdTimeout", "recharge", "silentCallRecord", "postUsageRecord", "leapDayLot"]
        #expect(everyEvent.filter { events[$0, default: 0] == 0 }.isEmpty, "the runs went through every kind of event: \(events)")
        #expect(copies > 0, "the runs delivered notifications")
    }

    @Test func aSeedReplaysExactly() async throws {
        let first = try await Simulation.run(seed: 7)
        let second = try await Simulation.run(seed: 7)
        #expect(first.description == second.description)
        #expect(first.description != (try await Simulation.run(seed: 8)).description)
    }

    @Test(arguments: [(PlantedBug.newestLotFirst, "booked at"), (.forgottenLedgerKeys, "has no purchase or recharge behind it")])
    func aPlantedBugIsCaught(bug: PlantedBug, symptom: String) async throws {
        for seed in UInt64(1)...30 {
            do {
                _ = try await Simulation.run(seed: seed, plantedBug: bug)
            } catch let failure as Simulation.Failure {
                #expect(failure.seed == seed)
                #expect(failure.description.contains(symptom), "\(failure)")
                #expect(failure.description.contains("commscredits simulate --seed \(seed)"))
                return
            }
        }
        Issue.record("30 seeds ran with \(bug) planted and none caught it")
    }
}
