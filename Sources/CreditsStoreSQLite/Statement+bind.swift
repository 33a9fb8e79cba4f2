import CreditsStore
import GRDB
import GRDBSQLite

extension Statement {
    /// Binds and runs a statement that returns no rows, straight through SQLite's C API. The
    /// journal writes several rows per request; building `StatementArguments` for each cost
    /// more than the inserts themselves.
    func insert(_ values: StoredValue...) throws {
        try insert(values)
    }

    func insert(_ values: [StoredValue]) throws {
        let statement = sqliteStatement
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case let .integer(integer): sqlite3_bind_int64(statement, index, integer)
            case let .text(text): sqlite3_bind_text(statement, index, text, -1, transientDestructor)
            case let .bytes(bytes): sqlite3_bind_blob(statement, index, bytes, Int32(bytes.count), transientDestructor)
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))),
                sql: sql
            )
        }
    }
}

/// SQLite's SQLITE_TRANSIENT: copy the bound text before returning.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
