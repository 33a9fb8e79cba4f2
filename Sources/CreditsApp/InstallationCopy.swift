public import CreditsCore
import CreditsStore
import CreditsStorePostgres
import CreditsStoreSQLite

/// Moves a whole installation from its SQLite file into an empty PostgreSQL database, then
/// checks the copy: every table holds as many rows on both sides, both ledgers verify against
/// their journals, and every tenant's balance is the same on both sides.
public enum InstallationCopy {
    public struct Report: Sendable, CustomStringConvertible {
        public let rowsPerTable: [String: Int]
        public let source: LedgerVerification
        public let destination: LedgerVerification
        /// What differs between the two sides, in words; empty when the copy is faithful.
        public let differences: [String]

        public var isFaithful: Bool { differences.isEmpty && source.isConsistent && destination.isConsistent }

        public var description: String {
            let rows = rowsPerTable.sorted { $0.key < $1.key }.filter { $0.value > 0 }.map { "  \($0.key): \($0.value)" }.joined(separator: "\n")
            var lines = ["Copied \(rowsPerTable.values.reduce(0, +)) rows:", rows, "Source ledger: \(source)", "Copied ledger: \(destination)"]
            lines += differences.isEmpty ? ["Every table's count and every tenant's balance match."] : differences
            return lines.joined(separator: "\n")
        }
    }

    public static func copy(from source: DatabaseLocation, to destination: DatabaseLocation, at now: Instant) async throws -> Report {
        guard case let .sqlite(path) = source, case let .postgres(address) = destination else {
            throw DatabaseLocationError(argument: "\(source) → \(destination)", reason: "copy moves an installation from sqlite:PATH to postgres://…")
        }
        let sqlite = try SQLiteStores(path: path)
        let postgres = PostgresDatabase(address)
        return try await postgres.whileRunning { try await copy(sqlite, into: postgres, PostgresStores(database: postgres).stores, at: now) }
    }

    private static func copy(_ sqlite: SQLiteStores, into postgres: PostgresDatabase, _ stores: Stores, at now: Instant) async throws -> Report {
        let written = try await postgres.importInstallation { sqlite.pages(of: $0) }

        var differences: [String] = []
        let sourceCounts = try await sqlite.rowCounts(of: PostgresDatabase.tablesInCopyOrder)
        let copiedCounts = try await postgres.rowCounts()
        for table in PostgresDatabase.tablesInCopyOrder where sourceCounts[table] != copiedCounts[table] {
            differences.append("\(table): \(sourceCounts[table] ?? 0) rows in SQLite, \(copiedCounts[table] ?? 0) in PostgreSQL")
        }
        for tenant in try await sqlite.ledger.tenantIds() {
            let before = try await sqlite.ledger.statement(for: tenant, at: now).figures
            let after = try await stores.ledger.statement(for: tenant, at: now).figures
            if before != after { differences.append("\(tenant): \(before) in SQLite, \(after) in PostgreSQL") }
        }
        return Report(
            rowsPerTable: written,
            source: try await sqlite.ledger.verify(),
            destination: try await stores.ledger.verify(),
            differences: differences
        )
    }
}
