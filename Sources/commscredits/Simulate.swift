import ArgumentParser
import CreditsStorePostgres
import Foundation
import Simulation

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the seeded simulation of the whole service in a world of faults, checking every invariant after every step.",
        discussion: """
            `--seed N` replays one run exactly (a failing run prints its seed); `--count` runs that many seeds from `--seed` on. \
            Exits with status 1 at the first failure, printing the broken invariant and the last steps.
            """
    )

    @Option(help: "The first seed.") var seed: UInt64 = 1
    @Option(help: "How many seeds to run, from --seed on.") var count: Int = 1
    @Option(help: "Operations per seed.") var steps: Int = 100
    @Option(help: "Plant a bug to watch the checks catch it: \(PlantedBug.allCases.map(\.rawValue).joined(separator: ", ")).")
    var plant: String?
    @Option(
        help: ArgumentHelp(
            "Simulate on PostgreSQL: a server (postgres://USER@HOST:PORT/DATABASE, a user who may create databases) on which each seed gets a database of its own; the password comes from DATABASE_PASSWORD.",
            valueName: "url"
        )
    )
    var postgres: String?

    func validate() throws {
        if let plant, PlantedBug(rawValue: plant) == nil { throw ValidationError("no planted bug is called '\(plant)'") }
        guard count > 0, steps > 0 else { throw ValidationError("--count and --steps are at least 1") }
        if postgres != nil, server == nil { throw ValidationError("--postgres is a postgres://USER@HOST:PORT/DATABASE address") }
    }

    private var server: PostgresAddress? {
        postgres.flatMap { PostgresAddress(url: $0, password: ProcessInfo.processInfo.environment["DATABASE_PASSWORD"]) }
    }

    func run() async throws {
        var events: [String: Int] = [:]
        for offset in 0..<UInt64(count) {
            do {
                let report = try await Simulation.run(seed: seed + offset, steps: steps, plantedBug: plant.flatMap(PlantedBug.init), postgres: server)
                events.merge(report.events, uniquingKeysWith: +)
                if count == 1 || (offset + 1) % 100 == 0 { print(report) }
            } catch let failure as Simulation.Failure {
                print(failure)
                throw ExitCode(1)
            }
        }
        if count > 1 {
            let seen = events.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("\(count) seeds from \(seed) on passed every check; events: \(seen).")
        }
    }
}
