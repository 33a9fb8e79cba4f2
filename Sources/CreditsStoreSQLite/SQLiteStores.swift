/// Every store over one SQLite file, sharing its connection pool.
public struct SQLiteStores: Sendable {
    public let ledger: SQLiteLedgerStore
    public let directory: SQLiteDirectoryStore
    public let billing: SQLiteBillingStore

    public init(path: String) throws {
        let database = try SQLiteDatabase.open(path: path)
        ledger = SQLiteLedgerStore(database: database)
        directory = SQLiteDirectoryStore(database: database)
        billing = SQLiteBillingStore(database: database)
    }
}
