public import CreditsCore
public import CreditsStore
import PostgresNIO

/// The ledger in PostgreSQL: each batch first locks the tenant's account row, so that writes to
/// one tenant from any number of instances happen one at a time while different tenants' writes
/// run side by side; batches for one tenant that arrive together share a commit (`TenantCommits`).
public final class PostgresLedgerStore: LedgerStore {
    let database: PostgresDatabase

    init(database: PostgresDatabase) {
        self.database = database
    }

    public func openAccount(_ tenantId: TenantId, currency: Currency, at now: Instant) async throws {
        try await database.transaction { c in
            try await c.run(
                """
                INSERT INTO credit_account (tenant_id, currency, debt_minor, opened_at) VALUES (\(tenantId.rawValue), \(currency.code), 0, \(now.millisecondsSinceEpoch))
                ON CONFLICT (tenant_id) DO NOTHING
                """
            )
            let existing = try await c.row(
                "SELECT currency FROM credit_account WHERE tenant_id = \(tenantId.rawValue)",
                as: String.self
            )
            if let existing, existing != currency.code {
                throw LedgerError.currencyMismatch(tenantId, existing: Currency(code: existing)!)
            }
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
        return try await database.tenantCommits.submit(for: tenantId.rawValue) { c in
            let loaded = try await LedgerRows.loadAccount(tenantId, naming: Set(requests.compactMap(\.command.holdId)), dueBy: now, c)
            let recorded = try await LedgerRows.recorded(requests.map(\.key), of: tenantId, c)
            let newLots = requests.count { if case .addFunds = $0.command { true } else { false } }
            let (account, results) = try await LedgerRows.withReservedIds(estimate: (newLots, requests.count), c) { ids in
                var account = loaded
                var ids = ids
                let results = requests.map { account.execute($0, at: now, ids: &ids, recorded: recorded) }
                return ((account, results), ids)
            }
            var changed = account
            try await LedgerRows.write(changed.takeChanges(), of: changed, c)
            return results
        }
    }

    public func settleDue(at now: Instant) async throws -> Int {
        let due = try await database.read { c in
            try await c.rows(
                """
                SELECT tenant_id FROM credit_lot WHERE expires_at <= \(now.millisecondsSinceEpoch) AND free_minor > 0
                UNION SELECT tenant_id FROM credit_hold WHERE state = 'open' AND expires_at <= \(now.millisecondsSinceEpoch)
                """,
                as: String.self
            )
        }
        var written = 0
        for tenant in due {
            written += try await database.transaction { c in
                let loaded = try await LedgerRows.loadAccount(TenantId(tenant), naming: [], dueBy: now, c)
                var account = try await LedgerRows.withReservedIds(estimate: (0, 1), c) { ids in
                    var account = loaded
                    var ids = ids
                    account.settleDue(at: now, ids: &ids)
                    return (account, ids)
                }
                let changes = account.takeChanges()
                try await LedgerRows.write(changes, of: account, c)
                return changes.transactions.count
            }
        }
        return written
    }

    public func statement(for tenantId: TenantId, at now: Instant) async throws -> CreditStatement {
        try await database.read { c in
            guard
                let (currency, debt) = try await c.row(
                    "SELECT currency, debt_minor FROM credit_account WHERE tenant_id = \(tenantId.rawValue)",
                    as: (String, Int64).self
                )
            else { throw LedgerError.unknownAccount(tenantId) }
            let lots = try await LedgerRows.lots(c, where: "tenant_id = $1", tenantId.rawValue)
            let holds = try await LedgerRows.holds(c, where: "tenant_id = $1 AND state = 'open'", tenantId.rawValue)
            return CreditStatement(tenantId: tenantId, currency: Currency(code: currency)!, lots: lots, openHolds: holds, debtMinor: debt, asOf: now)
        }
    }

    public func transactions(for tenantId: TenantId, before: TransactionId?, limit: Int) async throws -> [JournalTransaction] {
        try await database.read { c in try await LedgerRows.transactions(of: tenantId, before: before, limit: limit, c) }
    }

    public func tenantIds() async throws -> [TenantId] {
        try await database.read { c in
            try await c.rows("SELECT tenant_id FROM credit_account ORDER BY tenant_id", as: String.self).map(TenantId.init)
        }
    }

    /// In one repeatable-read transaction, so that the journal and the balances are read as of one moment.
    public func verify() async throws -> LedgerVerification {
        try await database.transaction { c in
            try await c.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return try await LedgerRows.audit(c)
        }
    }

    public func openHoldCount() async throws -> Int {
        try await database.read { c in
            let count = try await c.row("SELECT count(*) FROM credit_hold WHERE state = 'open'", as: Int64.self)
            return Int(count ?? 0)
        }
    }

    public func ping() async throws {
        _ = try await database.read { c in try await c.run("SELECT 1") }
    }
}
