import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the database's tables, or bring them up to date; the server does this too when it starts."
    )

    @OptionGroup var options: DatabaseOption

    func run() async throws {
        let location = try DatabaseLocation(options.database)
        try await location.withServices { _ in }
        print("The schema of \(location) is up to date.")
    }
}

struct Copy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a whole installation from its SQLite file into an empty PostgreSQL database, and check the copy.",
        discussion: """
            Stop the server first. Every table is copied in one transaction, then both ledgers are verified against their \
            journals and every table's row count and every tenant's balance are compared. Exits with status 1 when they differ.
            """
    )

    @Option(help: "The installation: sqlite:PATH.")
    var from: String

    @Option(help: "An empty PostgreSQL database: postgres://USER@HOST:PORT/DATABASE (password in DATABASE_PASSWORD or DATABASE_PASSWORD_FILE).")
    var to: String

    func run() async throws {
        let report = try await InstallationCopy.copy(from: DatabaseLocation(from), to: DatabaseLocation(to), at: SystemClock().now())
        print(report)
        if !report.isFaithful { throw ExitCode(1) }
    }
}
