import Foundation
import Simulation
import Testing

/// The simulator over a few seeds, its replay, and its power to fail: each planted bug is
/// caught. (CI runs 1,000 seeds on the release build: `.ci/simulate`.)
@Suite struct SimulationTests {
    static let seeds = UInt64(ProcessInfo.processInfo.environment["SIMULATION_SEEDS"] ?? "") ?? 10

    @Test func everySeedKeepsEveryInvariant() async throws {
        var crashes = 0
        var copies = 0
        for seed in 1...Self.seeds {
            let report = try await Simulation.run(seed: seed)
            crashes += report.crashes
            copies += report.notificationCopies
        }
        #expect(crashes > 0, "the runs crashed the service")
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
