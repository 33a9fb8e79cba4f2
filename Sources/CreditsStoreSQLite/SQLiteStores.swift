public import CreditsStore
import GRDB

/// Every store over one SQLite file, sharing its connection pool.
public struct SQLiteStores: Sendable {
    public let ledger: SQLiteLedgerStore
    public let directory: SQLiteDirectoryStore
    public let billing: SQLiteBillingStore
    public let calls: SQLiteCallStore
    public let access: SQLiteAccessStore
    public let answers: SQLiteAnswerStore
    public let notifications: SQLiteNotificationStore
    let database: DatabasePool

    public init(path: String, callsCache: TenantCallsCache.Limits = TenantCallsCache.Limits()) throws {
        let database = try SQLiteDatabase.open(path: path)
        self.database = database
        let cache = TenantCallsCache(limits: callsCache)
        // A transaction that did not commit may have kept states it wrote: none can be trusted.
        let writer = GroupCommitWriter(database: database, afterFailure: { cache.forgetAll() })
        ledger = SQLiteLedgerStore(database: database, writer: writer)
        directory = SQLiteDirectoryStore(database: database)
        billing = SQLiteBillingStore(database: database)
        calls = SQLiteCallStore(database: database, writer: writer, cache: cache)
        access = SQLiteAccessStore(database: database)
        answers = SQLiteAnswerStore(database: database)
        notifications = SQLiteNotificationStore(database: database)
    }

    /// Closes the file; every later read or write throws. (The simulator's way for a process to
    /// die mid-way: nothing it does afterwards reaches the disk.)
    public func close() throws {
        try database.close()
    }

    /// The writer's `PRAGMA synchronous`: 2 (FULL) when each commit is synced before it returns.
    package func writerSynchronousMode() throws -> Int {
        try database.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// As the services use them; one process owns the file, so its locks are in process.
    public var stores: Stores {
        Stores(
            ledger: ledger,
            directory: directory,
            billing: billing,
            calls: calls,
            access: access,
            answers: answers,
            notifications: notifications,
            locks: LocalWorkLocks()
        )
    }
}
