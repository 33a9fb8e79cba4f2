import Foundation
import GRDB

/// Opens the one database file every SQLite store shares (one pool per file), creating it and
/// running the migrations that are not yet applied.
enum SQLiteDatabase {
    static func open(path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // 64 MiB of page cache for the writer: the journal's indexes stay in memory. Readers
            // take 16 MiB each: a report reads each page once, and several read at a time.
            try db.execute(sql: "PRAGMA cache_size = \(db.configuration.readonly ? -16_384 : -65_536)")
            // Each write of a group commit runs in a savepoint, whose undo journal would
            // otherwise be a temporary file written (pwrite) for every page the write touches;
            // in memory it costs nothing to the disk. The commit itself is unchanged.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        // Turning the journal to WAL does not wait on another process opening the file too.
        let database = try whileOtherProcessesOpen { try DatabasePool(path: path, configuration: configuration) }
        // A commit is durable: the write-ahead log is synced before `COMMIT` returns. Set here, not
        // in `prepareDatabase`: the pool turns WAL on after that, and with it `synchronous = NORMAL`,
        // which syncs only at checkpoints (an answer could be lost with the machine's power).
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        var migrator = DatabaseMigrator()
        LedgerSchema.register(in: &migrator)
        BillingSchema.register(in: &migrator)
        CallSchema.register(in: &migrator)
        AccessSchema.register(in: &migrator)
        NotificationSchema.register(in: &migrator)
        try migrate(database, with: migrator)
        return database
    }

    /// Two processes opening a new file at once (the server and the command line) both find the
    /// migrations to do, and the second fails on what the first made: it then looks again, until
    /// the first is done.
    private static func migrate(_ database: DatabasePool, with migrator: DatabaseMigrator) throws {
        try whileOtherProcessesOpen {
            do {
                try migrator.migrate(database)
            } catch {
                guard try database.read({ try migrator.hasCompletedMigrations($0) }) else { throw error }
            }
        }
    }

    /// Runs `open` again, for up to ten seconds, while it fails on what another process opening
    /// the same file is doing.
    private static func whileOtherProcessesOpen<Value>(_ open: () throws -> Value) throws -> Value {
        for attempt in 1... {
            do {
                return try open()
            } catch is DatabaseError where attempt < 100 {
                usleep(100_000)
            }
        }
        fatalError("unreachable")
    }
}
