import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsStoreSQLite

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the SQLite database into a new file while the service keeps serving, then check the copy.",
        discussion: """
            SQLite's online backup: the copy is the database as of one instant. It is then checked page by page and its \
            ledger verified against its journal; exits with status 1 if either fails. (For PostgreSQL, use pg_dump.)
            """
    )

    @OptionGroup var options: DatabaseOption
    @Option(help: "The new file to write; an existing file is never overwritten.") var output: String

    func run() async throws {
        try SQLiteBackup.backup(from: try sqlitePath(options.database), to: output)
        try await verify(output, saying: "Backed up to \(output)")
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a backup in place of the SQLite database, then verify the ledger. Stop the service first.",
        discussion: "The backup is checked before anything is written; exits with status 1 if the restored ledger disagrees with its journal."
    )

    @OptionGroup var options: DatabaseOption
    @Option(help: "The backup file, as `commscredits backup` wrote it.") var input: String
    @Flag(help: "Replace the database when it exists.") var replace = false

    func run() async throws {
        let path = try sqlitePath(options.database)
        try SQLiteBackup.restore(from: input, to: path, replacing: replace)
        try await verify(path, saying: "Restored \(input) to \(path)")
    }
}

private func sqlitePath(_ argument: String) throws -> String {
    guard case let .sqlite(path) = try DatabaseLocation(argument) else {
        throw ValidationError("backup and restore work on a SQLite file; for PostgreSQL use pg_dump and pg_restore")
    }
    return path
}

/// Opens the file as the service would and verifies its ledger.
private func verify(_ path: String, saying done: String) async throws {
    let verification = try await SQLiteStores(path: path).ledger.verify()
    print("\(done). \(verification)")
    if !verification.isConsistent { throw ExitCode(1) }
}
