import Foundation
import GRDB

/// Copies of an installation's SQLite file, taken and put back with SQLite's online backup:
/// a consistent snapshot as of one instant, taken while the service keeps writing (in WAL mode
/// the copy reads one snapshot and blocks no writer).
public enum SQLiteBackup {
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes a copy of the database at `source` into a new file at `output`, and checks it.
    public static func backup(from source: String, to output: String) throws {
        guard FileManager.default.fileExists(atPath: source) else { throw Refused(description: "There is no database at \(source).") }
        guard !FileManager.default.fileExists(atPath: output) else {
            throw Refused(description: "\(output) already exists; a backup never overwrites a file.")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let database = try DatabasePool(path: source, configuration: configuration)
        let copy = try DatabaseQueue(path: output)
        try database.backup(to: copy)
        try checkWhole(copy, named: output)
    }

    /// Puts the backup at `input` in place of the database at `target`, after checking that
    /// the backup is whole. The service must be stopped; an existing target is replaced only
    /// when `replacing` says so.
    public static func restore(from input: String, to target: String, replacing: Bool) throws {
        guard FileManager.default.fileExists(atPath: input) else { throw Refused(description: "There is no backup at \(input).") }
        if FileManager.default.fileExists(atPath: target), !replacing {
            throw Refused(description: "\(target) already exists; stop the service and pass --replace to put the backup in its place.")
        }
        var readOnly = Configuration()
        readOnly.readonly = true
        let backup = try DatabaseQueue(path: input, configuration: readOnly)
        try checkWhole(backup, named: input)
        let database = try DatabaseQueue(path: target)
        try backup.backup(to: database)
        try database.close()
    }

    /// SQLite's own check of every page and index, and the mark of a CommsCredits database.
    private static func checkWhole(_ database: DatabaseQueue, named name: String) throws {
        let (integrity, hasLedger) = try database.read { db in
            (try String.fetchAll(db, sql: "PRAGMA integrity_check"), try db.tableExists("journal_transaction"))
        }
        guard integrity == ["ok"] else { throw Refused(description: "\(name) is damaged: \(integrity.prefix(5).joined(separator: "; "))") }
        guard hasLedger else { throw Refused(description: "\(name) is not a CommsCredits database: it has no ledger.") }
    }
}
