import CreditsStoreSQLite
import Foundation
import Testing

/// Each commit is synced before it returns, on a new file and on one opened again: the pool
/// turns WAL on with `synchronous = NORMAL`, which syncs only at checkpoints.
@Suite struct SQLiteDurabilityTests {
    @Test func theWriterSyncsEveryCommit() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("durable-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        #expect(try SQLiteStores(path: path).writerSynchronousMode() == 2, "FULL on a new file")
        #expect(try SQLiteStores(path: path).writerSynchronousMode() == 2, "FULL on a file opened again")
    }
}
