import CreditsCore
import CreditsStore
import CreditsStoreSQLite
import Foundation
import GRDB
import Testing

/// `commscredits backup` and `restore`: a copy taken while purchases are being written is one
/// consistent moment that restores to a ledger that verifies; and every refusal leaves the
/// files as they were.
@Suite struct BackupTests {
    let folder: URL
    let tenant = TenantId("fabrikam")
    let now = Instant.at("2027-03-01T09:00:00Z")

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func buy(_ count: Range<Int>, into stores: SQLiteStores) async throws {
        for index in count {
            _ = try await stores.ledger.execute(
                LedgerRequest(key: try IdempotencyKey("buy-\(index)"), command: .addFunds(source: .purchase, amountMinor: 100)),
                for: tenant,
                at: now
            )
        }
    }

    @Test func aBackupTakenWhileWritingRestoresToAVerifiedLedger() async throws {
        let live = try SQLiteStores(path: path("live.sqlite"))
        try await live.ledger.openAccount(tenant, currency: .usd, at: now)
        try await buy(0..<50, into: live)
        let writing = Task { try await buy(50..<400, into: live) }
        try await Task.sleep(for: .milliseconds(20))
        try SQLiteBackup.backup(from: path("live.sqlite"), to: path("copy.sqlite"))
        try await writing.value

        try SQLiteBackup.restore(from: path("copy.sqlite"), to: path("restored.sqlite"), replacing: false)
        let restored = try SQLiteStores(path: path("restored.sqlite"))
        #expect(try await restored.ledger.verify().isConsistent)
        let statement = try await restored.ledger.statement(for: tenant, at: now)
        #expect(statement.lots.count >= 50, "the copy holds what was written before it began")
        #expect(statement.figures.balanceMinor == Int64(statement.lots.count) * 100)
        #expect(try await live.ledger.statement(for: tenant, at: now).lots.count == 400, "the service kept writing through the backup")
    }

    @Test func refusalsLeaveEveryFileAsItWas() async throws {
        let live = try SQLiteStores(path: path("live.sqlite"))
        try await live.ledger.openAccount(tenant, currency: .usd, at: now)
        try await buy(0..<3, into: live)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: path("taken.sqlite")))

        #expect(throws: SQLiteBackup.Refused.self) { try SQLiteBackup.backup(from: path("live.sqlite"), to: path("taken.sqlite")) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path("taken.sqlite"))) == Data("keep".utf8), "an existing file is never overwritten")
        #expect(throws: SQLiteBackup.Refused.self) { try SQLiteBackup.backup(from: path("missing.sqlite"), to: path("new.sqlite")) }
        #expect(!FileManager.default.fileExists(atPath: path("new.sqlite")))

        try SQLiteBackup.backup(from: path("live.sqlite"), to: path("copy.sqlite"))
        #expect(throws: SQLiteBackup.Refused.self, "the database exists and --replace was not given") {
            try SQLiteBackup.restore(from: path("copy.sqlite"), to: path("live.sqlite"), replacing: false)
        }
        // A damaged backup: its pages overwritten past the header.
        var damaged = try Data(contentsOf: URL(fileURLWithPath: path("copy.sqlite")))
        damaged.replaceSubrange(4096..<damaged.count, with: Data(repeating: 0xA5, count: damaged.count - 4096))
        try damaged.write(to: URL(fileURLWithPath: path("damaged.sqlite")))
        #expect(throws: (any Error).self) { try SQLiteBackup.restore(from: path("damaged.sqlite"), to: path("target.sqlite"), replacing: true) }
        #expect(!FileManager.default.fileExists(atPath: path("target.sqlite")), "nothing is written from a damaged backup")
        // Some other SQLite database.
        let other = try DatabaseQueue(path: path("other.sqlite"))
        try await other.write { try $0.execute(sql: "CREATE TABLE note (text TEXT)") }
        try other.close()
        #expect(throws: SQLiteBackup.Refused.self) {
            try SQLiteBackup.restore(from: path("other.sqlite"), to: path("target.sqlite"), replacing: true)
        }

        try SQLiteBackup.restore(from: path("copy.sqlite"), to: path("live.sqlite"), replacing: true)
        #expect(try await SQLiteStores(path: path("live.sqlite")).ledger.statement(for: tenant, at: now).lots.count == 3)
    }
}
