import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute every lot, hold and debt from the journal and report any difference.",
        discussion: "Exits with status 1 when the ledger and its journal disagree."
    )

    @OptionGroup var options: DatabaseOption

    func run() async throws {
        let verification = try await DatabaseLocation(options.database).withServices { try await $0.stores.ledger.verify() }
        print(verification)
        if !verification.isConsistent { throw ExitCode(1) }
    }
}
