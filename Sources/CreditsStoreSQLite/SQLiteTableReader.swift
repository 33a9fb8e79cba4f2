public import CreditsStore
import GRDB

extension SQLiteStores {
    /// The rows of `table` a page at a time, in primary key order, as stored.
    public func pages(of table: String, size: Int = 5_000) -> AsyncThrowingStream<TablePage, any Error> {
        let database = self.database
        return AsyncThrowingStream { continuation in
            let reading = Task {
                do {
                    var offset = 0
                    while true {
                        let start = offset
                        let page = try await database.read { db in
                            let key = try db.primaryKey(table).columns.joined(separator: ", ")
                            let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(key) LIMIT ? OFFSET ?", arguments: [size, start])
                            return TablePage(
                                table: table,
                                columns: try db.columns(in: table).map(\.name),
                                rows: try rows.map { row in
                                    try row.databaseValues.map { value in
                                        switch value.storage {
                                        case let .int64(integer): .integer(integer)
                                        case let .string(text): .text(text)
                                        case let .blob(data): .bytes(Array(data))
                                        case .null: .null
                                        case .double: throw DatabaseError(message: "\(table) holds a real number, which no table of this service has")
                                        }
                                    }
                                }
                            )
                        }
                        if !page.rows.isEmpty { continuation.yield(page) }
                        if page.rows.count < size { break }
                        offset += size
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in reading.cancel() }
        }
    }
}

extension SQLiteStores {
    /// How many rows each of `tables` holds.
    public func rowCounts(of tables: [String]) async throws -> [String: Int] {
        try await database.read { db in
            var counts: [String: Int] = [:]
            for table in tables { counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
            return counts
        }
    }
}
