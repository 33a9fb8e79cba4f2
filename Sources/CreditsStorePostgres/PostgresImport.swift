public import CreditsStore
import PostgresNIO

extension PostgresDatabase {
    /// Every table, in an order that respects every foreign key.
    public static var tablesInCopyOrder: [String] { PostgresSchema.tables.map(\.name) }

    /// Writes a whole installation, table by table as `pages` reads it, in one transaction, into a
    /// database that holds none (refused otherwise); then moves each id sequence past the highest
    /// id copied. Returns the rows written per table.
    public func importInstallation(_ pages: (String) -> AsyncThrowingStream<TablePage, any Error>) async throws -> [String: Int] {
        try await transaction { c in
            if let tenants = try await c.row("SELECT count(*) FROM tenant", as: Int64.self), tenants > 0 {
                throw ImportRefused(description: "The PostgreSQL database already holds \(tenants) tenants; copy into an empty one.")
            }
            var written: [String: Int] = [:]
            for (table, numberedBy) in PostgresSchema.tables {
                written[table] = 0
                for try await page in pages(table) {
                    var insert = RowsInsert("INSERT INTO \(table) (\(page.columns.joined(separator: ", "))) VALUES", columns: page.columns.count)
                    for row in page.rows { insert.add(row) }
                    try await insert.run(on: c)
                    written[table, default: 0] += page.rows.count
                }
                if let numberedBy, written[table, default: 0] > 0 {
                    let sequence = numberedBy == table ? "pg_get_serial_sequence('\(table)', 'id')" : "'\(numberedBy)'"
                    try await c.run(PostgresQuery(unsafeSQL: "SELECT setval(\(sequence), (SELECT max(id) FROM \(table)))"))
                }
            }
            return written
        }
    }

    /// How many rows each table holds.
    public func rowCounts() async throws -> [String: Int] {
        try await read { c in
            var counts: [String: Int] = [:]
            for table in Self.tablesInCopyOrder {
                counts[table] = Int(
                    try await c.row(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), as: Int64.self) ?? Int64(0)
                )
            }
            return counts
        }
    }
}

public struct ImportRefused: Error, CustomStringConvertible {
    public let description: String
}
