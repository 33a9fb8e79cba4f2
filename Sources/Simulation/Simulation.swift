import CreditsCore
import CreditsEngine
import CreditsStore
public import CreditsStorePostgres
import Foundation
import Payments

/// A seeded, replayable run of the whole service (engine and SQLite or PostgreSQL store as they ship) in a
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
    /// off, and checks the end state. Throws `Failure` at the first broken invariant. On a
    /// SQLite file in the temporary folder, or, given `postgres` (a server whose user may create
    /// databases), in a database of its own there, dropped at the end.
    public static func run(seed: UInt64, steps: Int = 100, plantedBug: PlantedBug? = nil, postgres: PostgresAddress? = nil) async throws -> Report {
        if let postgres {
            let name = "simulation_\(seed)_" + UUID().uuidString.prefix(8).lowercased()
            let address = try await PostgresDatabase.create(name, on: postgres, durable: false)
            do {
                let report = try await run(seed: seed, steps: steps, plantedBug: plantedBug, on: .postgres(address))
                try await PostgresDatabase.drop(name, on: postgres)
                return report
            } catch {
                try? await PostgresDatabase.drop(name, on: postgres)
                throw error
            }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("simulation-\(seed)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await run(seed: seed, steps: steps, plantedBug: plantedBug, on: .sqliteFile(folder.appendingPathComponent("credits.sqlite").path))
    }

    private static func run(seed: UInt64, steps: Int, plantedBug: PlantedBug?, on database: SimulatedDatabase) async throws -> Report {
        var driver = try await SimulationDriver(seed: seed, database: database, plantedBug: plantedBug)
        for step in 1...max(steps, 1) {
            try await driver.step(step)
        }
        try await driver.settle(after: steps)
        driver.end()
        return driver.report
    }
}
