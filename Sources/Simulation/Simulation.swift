import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Payments

/// A seeded, replayable run of the whole service (engine and SQLite store as they ship) in a
/// simulated world (`SimulatedWorld`): a random mix of every operation, faults injected, every
/// invariant checked after every step (`SimulationChecks`). The same seed replays the same run.
public struct Simulation {
    public struct Report: Sendable, CustomStringConvertible {
        public let seed: UInt64
        public var steps = 0
        public var operations: [String: Int] = [:]
        public var refusals = 0
        public var crashes = 0
        public var providerCharges = 0
        public var notificationCopies = 0
        /// What the run went through, by kind: lot expiries, hold time-outs, recharges, records
        /// of silent calls, post-usage records, lots bought on 29 February.
        public var events: [String: Int] = [:]

        public var description: String {
            func list(_ counts: [String: Int]) -> String { counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
            return "seed \(seed): \(steps) steps, \(crashes) crashes, \(refusals) refusals, \(providerCharges) card charges, "
                + "\(notificationCopies) notification copies delivered; operations: \(list(operations)); events: \(list(events))"
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let seed: UInt64
        public let step: Int
        public let problem: String
        public let trace: [String]

        public var description: String {
            "Simulation seed \(seed) failed at step \(step): \(problem)\nReplay: commscredits simulate --seed \(seed)\nLast steps:\n"
                + trace.suffix(12).map { "  \($0)" }.joined(separator: "\n")
        }
    }

    /// Runs `steps` operations from `seed`, then lets everything due settle with the faults
    /// off, and checks the end state. Throws `Failure` at the first broken invariant.
    public static func run(seed: UInt64, steps: Int = 100, plantedBug: PlantedBug? = nil) async throws -> Report {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("simulation-\(seed)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var driver = try await SimulationDriver(seed: seed, path: folder.appendingPathComponent("credits.sqlite").path, plantedBug: plantedBug)
        for step in 1...max(steps, 1) {
            try await driver.step(step)
        }
        try await driver.settle(after: steps)
        return driver.report
    }
}
