public import CreditsCore
public import CreditsStore
import GRDB

/// The ledger in one SQLite file through GRDB: WAL mode, every commit synced to disk before
/// any request in it is answered; a batch of requests is applied in one transaction, and
/// batches that arrive together share a commit (see `GroupCommitWriter`).
public final class SQLiteLedgerStore: LedgerStore {
    let database: DatabasePool
    let writer: GroupCommitWriter

    /// Opens (creating and migrating where needed) the database file at `path`.
    public convenience init(path: String) throws {
        let database = try SQLiteDatabase.open(path: path)
        self.init(database: database, writer: GroupCommitWriter(database: database))
    }

    init(database: DatabasePool, writer: GroupCommitWriter) {
        self.database = database
        self.writer = writer
    }

    public func openAccount(_ tenantId: TenantId, currency: Currency, at now: Instant) async throws {
        try await database.write { db in
            if let code = try String.fetchOne(db, sql: "SELECT currency FROM credit_account WHERE tenant_id = ?", arguments: [tenantId.rawValue]) {
                let existing = Currency(code: code)!
                guard existing == currency else { throw LedgerError.currencyMismatch(tenantId, existing: existing) }
                return
            }
            try db.execute(
                sql: "INSERT INTO credit_account (tenant_id, currency, debt_minor, opened_at) VALUES (?, ?, 0, ?)",
                arguments: [tenantId.rawValue, currency.code, now.millisecondsSinceEpoch]
            )
        }
    }

    public func execute(
        _ requests: [LedgerRequest],
        for tenantId: TenantId,
        at now: Instant
    ) async throws
        -> [Result<LedgerReceipt, LedgerError>]
    {
        try LedgerLimits.checkBatchSize(requests.count)
        return try await writer.submit { db in
            var account = try LedgerRows.loadAccount(tenantId, naming: Set(requests.compactMap(\.command.holdId)), dueBy: now, db)
            var ids = try LedgerRows.nextIds(db)
            let recorded = try LedgerRows.recorded(requests.map(\.key), of: tenantId, db)
            let results = requests.map { account.execute($0, at: now, ids: &ids, recorded: recorded) }
            try LedgerRows.write(account.takeChanges(), of: account, db)
            return results
        }
    }

    public func settleDue(at now: Instant) async throws -> Int {
        let due = try await database.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT tenant_id FROM credit_lot WHERE expires_at <= ?1 AND free_minor > 0
                    UNION SELECT tenant_id FROM credit_hold WHERE state = 'open' AND expires_at <= ?1
                    """,
                arguments: [now.millisecondsSinceEpoch]
            )
        }
        var written = 0
        for tenant in due {
            written += try await database.write { db in
                var account = try LedgerRows.loadAccount(TenantId(tenant), naming: [], dueBy: now, db)
                var ids = try LedgerRows.nextIds(db)
                account.settleDue(at: now, ids: &ids)
                let changes = account.takeChanges()
                try LedgerRows.write(changes, of: account, db)
                return changes.transactions.count
            }
        }
        return written
    }

    public func statement(for tenantId: TenantId, at now: Instant) async throws -> CreditStatement {
        try await database.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT currency, debt_minor FROM credit_account WHERE tenant_id = ?",
                    arguments: [tenantId.rawValue]
                )
            else { throw LedgerError.unknownAccount(tenantId) }
            let lots = try LedgerRows.lots(db, where: "tenant_id = ?", arguments: [tenantId.rawValue])
            let holds = try LedgerRows.holds(db, where: "tenant_id = ? AND state = 'open'", arguments: [tenantId.rawValue])
            return CreditStatement(
                tenantId: tenantId,
                currency: Currency(code: row["currency"])!,
                lots: lots,
                openHolds: holds,
                debtMinor: row["debt_minor"],
                asOf: now
            )
        }
    }

    public func transactions(for tenantId: TenantId, before: TransactionId?, limit: Int) async throws -> [JournalTransaction] {
        try await database.read { db in
            try LedgerRows.transactions(of: tenantId, before: before, limit: limit, db)
        }
    }

    public func tenantIds() async throws -> [TenantId] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT tenant_id FROM credit_account ORDER BY tenant_id").map(TenantId.init)
        }
    }

    public func verify() async throws -> LedgerVerification {
        try await database.read { db in try LedgerRows.audit(db) }
    }

    public func openHoldCount() async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM credit_hold INDEXED BY credit_hold_due WHERE state = 'open'") ?? 0
        }
    }

    /// Reports whether the database answers, for the readiness check.
    public func ping() async throws {
        _ = try await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
