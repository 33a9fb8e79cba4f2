import CreditsCore
import CreditsStore
import Logging
import PostgresNIO

/// Reading and writing the ledger's rows; every function runs inside the caller's transaction.
enum LedgerRows {
    /// Loads the tenant's account with its live lots, the open holds due by `now` (every open
    /// hold when `withEveryOpenHold`, as an account kept in memory needs) and the holds named,
    /// under the tenant's lock (`lockTenant`) until the transaction ends: every write to one
    /// tenant's money, from any instance, takes it first, so they happen one at a time.
    static func loadAccount(
        _ tenantId: TenantId,
        naming holdIds: Set<HoldId>,
        withEveryOpenHold: Bool = false,
        dueBy now: Instant,
        _ c: PostgresSession
    ) async throws -> CreditAccount {
        _ = try await lockTenant(tenantId, c)
        guard
            let (currency, debt) = try await c.row(
                "SELECT currency, debt_minor FROM credit_account WHERE tenant_id = \(tenantId.rawValue) FOR UPDATE",
                as: (String, Int64).self
            )
        else { throw LedgerError.unknownAccount(tenantId) }
        let lots = try await self.lots(c, where: "tenant_id = $1 AND (free_minor > 0 OR held_minor > 0)", tenantId.rawValue)
        var holds = try await self.holds(
            c,
            where: "tenant_id = $1 AND state = 'open' AND expires_at <= $2",
            tenantId.rawValue,
            withEveryOpenHold ? Int64.max : now.millisecondsSinceEpoch
        )
        let loaded = Set(holds.map(\.id))
        let named = holdIds.subtracting(loaded).map(\.rawValue)
        if !named.isEmpty {
            holds += try await self.holds(c, where: "tenant_id = $1 AND hold_id = ANY($2)", tenantId.rawValue, named)
        }
        return CreditAccount(tenantId: tenantId, currency: Currency(code: currency)!, liveLots: lots, holds: holds, debtMinor: debt)
    }

    /// Takes the tenant's lock, the row of its version, before any other of its rows: every
    /// write to a tenant's calls or ledger takes it first, so two writers of one tenant never
    /// wait for each other in a circle (a trigger on each table the call state is read from
    /// moves the version, and waits for the lock). Returns the version; nil for an unknown tenant.
    static func lockTenant(_ tenantId: TenantId, _ c: PostgresSession) async throws -> Int64? {
        try await c.row("SELECT version FROM tenant_version WHERE tenant_id = \(tenantId.rawValue) FOR UPDATE", as: Int64.self)
    }

    /// The tenant's version, under its lock: what this transaction's own writes made it.
    static func version(of tenantId: TenantId, _ c: PostgresSession) async throws -> Int64 {
        try await c.row("SELECT version FROM tenant_version WHERE tenant_id = \(tenantId.rawValue)", as: Int64.self) ?? 0
    }

    /// The account's currency and balance as of `now`, from its live lots; nil without an account.
    /// `locking`: takes the account's lock, as `loadAccount` does.
    static func balance(
        of tenantId: TenantId,
        at now: Instant,
        locking: Bool = false,
        _ c: PostgresSession
    ) async throws
        -> (currency: Currency, balanceMinor: Int64)?
    {
        if locking { _ = try await lockTenant(tenantId, c) }
        guard
            let (currency, debt) = try await c.row(
                """
                SELECT currency, debt_minor FROM credit_account WHERE tenant_id = \(tenantId.rawValue) \(unescaped: locking ? "FOR UPDATE" : "")
                """,
                as: (String, Int64).self
            )
        else { return nil }
        let lots = try await self.lots(c, where: "tenant_id = $1 AND (free_minor > 0 OR held_minor > 0)", tenantId.rawValue)
        return (Currency(code: currency)!, CreditFigures(lots: lots, debtMinor: debt, at: now).balanceMinor)
    }

    /// Runs `compute` with lot and transaction numbers reserved from the sequences, `estimate`
    /// of each to start; when it needed more, reserves them and runs it again. `compute` only
    /// reads: what it returns is written after, with numbers that are all reserved.
    static func withReservedIds<Value>(
        estimate: (lots: Int, transactions: Int),
        _ c: PostgresSession,
        _ compute: (LedgerIdAllocator) async throws -> (Value, LedgerIdAllocator)
    ) async throws -> Value {
        var lotIds = try await reserve(estimate.lots, from: "credit_lot_id", c)
        var transactionIds = try await reserve(estimate.transactions, from: "journal_transaction_id", c)
        while true {
            let (value, ids) = try await compute(LedgerIdAllocator(reservedLotIds: lotIds, reservedTransactionIds: transactionIds))
            guard ids.isShort else { return value }
            lotIds += try await reserve(ids.lotIdsShort, from: "credit_lot_id", c)
            transactionIds += try await reserve(ids.transactionIdsShort, from: "journal_transaction_id", c)
        }
    }

    private static func reserve(_ count: Int, from sequence: String, _ c: PostgresSession) async throws -> [Int64] {
        guard count > 0 else { return [] }
        return try await c.rows(
            "SELECT nextval('\(unescaped: sequence)') FROM generate_series(1, \(Int64(count))) ORDER BY 1",
            as: Int64.self
        )
    }

    /// What the store remembers of these keys, in one query for a whole batch.
    static func recorded(
        _ keys: [IdempotencyKey],
        of tenantId: TenantId,
        _ c: PostgresSession
    ) async throws
        -> [IdempotencyKey: RecordedRequest]
    {
        var recorded: [IdempotencyKey: RecordedRequest] = [:]
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(receiptColumns), fingerprint, idempotency_key FROM journal_transaction WHERE tenant_id = $1 AND idempotency_key = ANY($2)
                """,
            binds: binds(tenantId.rawValue, keys.map(\.rawValue))
        )
        for try await row in try await c.query(query) {
            let (receipt, fingerprint, key) = try receiptWithKey(row)
            recorded[IdempotencyKey(stored: key)] = RecordedRequest(fingerprint: fingerprint, receipt: receipt)
        }
        return recorded
    }

    /// `autoRecharge`: the tenant's settings when the caller knows them (a kept call state), else they are read.
    static func write(
        _ changes: LedgerChanges,
        of account: CreditAccount,
        autoRecharge: AutoRechargeSettings? = nil,
        _ c: PostgresSession
    ) async throws {
        let tenant = account.tenantId.rawValue
        var transactions = RowsInsert(
            """
            INSERT INTO journal_transaction (id, tenant_id, idempotency_key, fingerprint, kind, occurred_at, amount_minor,
                consumed_minor, debt_incurred_minor, debt_repaid_minor, released_minor, forfeited_minor, lot_id, hold_id,
                balance_after_minor, available_after_minor) VALUES
            """,
            columns: 16
        )
        var entries = RowsInsert("INSERT INTO journal_entry (transaction_id, position, account, lot_id, hold_id, amount_minor) VALUES", columns: 6)
        for transaction in changes.transactions {
            let r = transaction.receipt
            transactions.add(
                .integer(r.transactionId.rawValue),
                .text(tenant),
                .text(transaction.idempotencyKey.rawValue),
                .text(transaction.fingerprint),
                .text(r.kind.rawValue),
                .integer(r.occurredAt.millisecondsSinceEpoch),
                .integer(r.amountMinor),
                .integer(r.consumedMinor),
                .integer(r.debtIncurredMinor),
                .integer(r.debtRepaidMinor),
                .integer(r.releasedMinor),
                .integer(r.forfeitedMinor),
                .optional(r.lotId?.rawValue),
                .optional(r.holdId?.rawValue),
                .integer(r.balanceAfterMinor),
                .integer(r.availableAfterMinor)
            )
            for (position, entry) in transaction.entries.enumerated() {
                entries.add(
                    .integer(r.transactionId.rawValue),
                    .integer(Int64(position)),
                    .text(entry.account.rawValue),
                    .optional(entry.lotId?.rawValue),
                    .optional(entry.holdId?.rawValue),
                    .integer(entry.amountMinor)
                )
            }
        }
        var lots = RowsInsert(
            """
            INSERT INTO credit_lot (id, tenant_id, source, amount_minor, free_minor, held_minor, forfeited_minor, refunded_minor,
                purchased_at, expires_at) VALUES
            """,
            columns: 10,
            tail: """
                ON CONFLICT (id) DO UPDATE SET free_minor = excluded.free_minor, held_minor = excluded.held_minor,
                    forfeited_minor = excluded.forfeited_minor, refunded_minor = excluded.refunded_minor
                """
        )
        for lot in changes.lots.values.sorted(by: { $0.id < $1.id }) {
            lots.add(
                .integer(lot.id.rawValue),
                .text(tenant),
                .text(lot.source.rawValue),
                .integer(lot.amountMinor),
                .integer(lot.freeMinor),
                .integer(lot.heldMinor),
                .integer(lot.forfeitedMinor),
                .integer(lot.refundedMinor),
                .integer(lot.purchasedAt.millisecondsSinceEpoch),
                .integer(lot.expiresAt.millisecondsSinceEpoch)
            )
        }
        // Lots before the journal and the holds that name them.
        try await lots.run(on: c)
        try await transactions.run(on: c)
        try await entries.run(on: c)
        try await write(Array(changes.holds.values), of: tenant, c)
        if changes.debtChanged {
            try await c.run("UPDATE credit_account SET debt_minor = \(account.debtMinor) WHERE tenant_id = \(tenant)")
        }
        try await NotificationRows.noteBalanceAlerts(of: changes, account: account, autoRecharge: autoRecharge, c)
    }

    private static func write(_ holds: [Hold], of tenant: String, _ c: PostgresSession) async throws {
        guard !holds.isEmpty else { return }
        var upserts = RowsInsert(
            """
            INSERT INTO credit_hold (tenant_id, hold_id, state, reserved_minor, open_minor, posted_minor, created_at, expires_at, settled_at) VALUES
            """,
            columns: 9,
            tail: """
                ON CONFLICT (tenant_id, hold_id) DO UPDATE SET state = excluded.state, reserved_minor = excluded.reserved_minor,
                    open_minor = excluded.open_minor, posted_minor = excluded.posted_minor, expires_at = excluded.expires_at,
                    settled_at = excluded.settled_at
                """
        )
        var allocations = RowsInsert("INSERT INTO credit_hold_allocation (tenant_id, hold_id, lot_id, amount_minor, position) VALUES", columns: 5)
        for hold in holds {
            upserts.add(
                .text(tenant),
                .text(hold.id.rawValue),
                .text(hold.state.rawValue),
                .integer(hold.reservedMinor),
                .integer(hold.openMinor),
                .integer(hold.postedMinor),
                .integer(hold.createdAt.millisecondsSinceEpoch),
                .integer(hold.expiresAt.millisecondsSinceEpoch),
                .optional(hold.settledAt?.millisecondsSinceEpoch)
            )
            for (position, allocation) in hold.allocations.enumerated() where allocation.amountMinor > 0 {
                allocations.add(
                    .text(tenant),
                    .text(hold.id.rawValue),
                    .integer(allocation.lotId.rawValue),
                    .integer(allocation.amountMinor),
                    .integer(Int64(position))
                )
            }
        }
        try await upserts.run(on: c)
        try await c.run(
            PostgresQuery(
                unsafeSQL: "DELETE FROM credit_hold_allocation WHERE tenant_id = $1 AND hold_id = ANY($2)",
                binds: binds(tenant, holds.map(\.id.rawValue))
            )
        )
        try await allocations.run(on: c)
    }

    /// Lots matching a condition on `$1`, `$2`, …
    static func lots(
        _ c: PostgresSession,
        where condition: String,
        _ arguments: any PostgresDynamicTypeEncodable...
    ) async throws -> [Lot] {
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT id, source, amount_minor, free_minor, held_minor, forfeited_minor, refunded_minor, purchased_at, expires_at
                FROM credit_lot WHERE \(condition) ORDER BY id
                """,
            binds: binds(arguments)
        )
        return try await c.rows(query, as: (Int64, String, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self).map { row in
            Lot(
                id: LotId(row.0),
                source: Lot.Source(rawValue: row.1)!,
                amountMinor: row.2,
                freeMinor: row.3,
                heldMinor: row.4,
                forfeitedMinor: row.5,
                refundedMinor: row.6,
                purchasedAt: instant(row.7),
                expiresAt: instant(row.8)
            )
        }
    }

    /// Holds matching a condition on `$1`, `$2`, …, with their allocations.
    static func holds(
        _ c: PostgresSession,
        where condition: String,
        _ arguments: any PostgresDynamicTypeEncodable...
    ) async throws -> [Hold] {
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT tenant_id, hold_id, state, reserved_minor, open_minor, posted_minor, created_at, expires_at, settled_at
                FROM credit_hold WHERE \(condition)
                """,
            binds: binds(arguments)
        )
        let rows = try await c.rows(query, as: (String, String, String, Int64, Int64, Int64, Int64, Int64, Int64?).self)
        guard !rows.isEmpty else { return [] }
        let allocationRows = try await c.rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT hold_id, lot_id, amount_minor FROM credit_hold_allocation WHERE tenant_id = $1 AND hold_id = ANY($2) ORDER BY hold_id, position
                    """,
                binds: binds(rows[0].0, rows.map(\.1))
            ),
            as: (String, Int64, Int64).self
        )
        let allocations = Dictionary(grouping: allocationRows, by: \.0)
        return rows.map { row in
            Hold(
                id: HoldId(row.1),
                state: Hold.State(rawValue: row.2)!,
                reservedMinor: row.3,
                openMinor: row.4,
                postedMinor: row.5,
                allocations: (allocations[row.1] ?? []).map { Hold.Allocation(lotId: LotId($0.1), amountMinor: $0.2) },
                createdAt: instant(row.6),
                expiresAt: instant(row.7),
                settledAt: row.8.map(instant)
            )
        }
    }

    static func transactions(
        of tenantId: TenantId,
        before: TransactionId?,
        limit: Int,
        _ c: PostgresSession
    ) async throws
        -> [JournalTransaction]
    {
        var found: [(LedgerReceipt, String, String)] = []
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(receiptColumns), fingerprint, idempotency_key FROM journal_transaction
                WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3
                """,
            binds: binds(tenantId.rawValue, before?.rawValue ?? Int64.max, Int64(limit))
        )
        for try await row in try await c.query(query) { found.append(try receiptWithKey(row)) }
        guard !found.isEmpty else { return [] }
        let entryRows = try await c.rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT transaction_id, account, lot_id, hold_id, amount_minor FROM journal_entry WHERE transaction_id = ANY($1)
                    ORDER BY transaction_id, position
                    """,
                binds: binds(found.map(\.0.transactionId.rawValue))
            ),
            as: (Int64, String, Int64?, String?, Int64).self
        )
        let entries = Dictionary(grouping: entryRows, by: \.0)
        return found.map { receipt, fingerprint, key in
            JournalTransaction(
                idempotencyKey: IdempotencyKey(stored: key),
                fingerprint: fingerprint,
                entries: (entries[receipt.transactionId.rawValue] ?? []).map { entry($0.1, $0.2, $0.3, $0.4) },
                receipt: receipt
            )
        }
    }

    /// Streams the whole journal through a `LedgerAudit`, then compares every lot and account.
    static func audit(_ c: PostgresSession) async throws -> LedgerVerification {
        var audit = LedgerAudit()
        var current: (id: TransactionId, tenant: TenantId)?
        var entries: [JournalEntry] = []
        let rows = try await c.query(
            """
            SELECT e.account, e.lot_id, e.hold_id, e.amount_minor, e.transaction_id, t.tenant_id
            FROM journal_entry e JOIN journal_transaction t ON t.id = e.transaction_id
            ORDER BY e.transaction_id, e.position
            """
        )
        for try await row in rows {
            let (account, lot, hold, amount, transaction, tenant) = try row.decode((String, Int64?, String?, Int64, Int64, String).self)
            let id = TransactionId(transaction)
            if current?.id != id {
                if let current { audit.record(current.id, of: current.tenant, entries: entries) }
                current = (id, TenantId(tenant))
                entries.removeAll(keepingCapacity: true)
            }
            entries.append(entry(account, lot, hold, amount))
        }
        if let current { audit.record(current.id, of: current.tenant, entries: entries) }
        for (tenant, debt) in try await c.rows(
            "SELECT tenant_id, debt_minor FROM credit_account ORDER BY tenant_id",
            as: (String, Int64).self
        ) {
            let lots = try await lots(c, where: "tenant_id = $1", tenant)
            for lot in lots { audit.compare(lot) }
            let holds = try await holds(c, where: "tenant_id = $1 AND state = 'open'", tenant)
            audit.compare(tenantId: TenantId(tenant), debtMinor: debt, openHolds: holds, lots: lots)
        }
        return audit.finish()
    }

    private static func entry(_ account: String, _ lot: Int64?, _ hold: String?, _ amount: Int64) -> JournalEntry {
        JournalEntry(account: LedgerAccount(rawValue: account)!, lotId: lot.map(LotId.init), holdId: hold.map(HoldId.init), amountMinor: amount)
    }

    private static let receiptColumns = """
        id, kind, occurred_at, amount_minor, consumed_minor, debt_incurred_minor, debt_repaid_minor, released_minor,
        forfeited_minor, lot_id, hold_id, balance_after_minor, available_after_minor
        """

    /// `receiptColumns`, then the fingerprint and the key.
    private static func receiptWithKey(_ row: PostgresRow) throws -> (LedgerReceipt, String, String) {
        let r = try row.decode((Int64, String, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64?, String?, Int64, Int64, String, String).self)
        let receipt = LedgerReceipt(
            transactionId: TransactionId(r.0),
            kind: TransactionKind(rawValue: r.1)!,
            occurredAt: instant(r.2),
            amountMinor: r.3,
            consumedMinor: r.4,
            debtIncurredMinor: r.5,
            debtRepaidMinor: r.6,
            releasedMinor: r.7,
            forfeitedMinor: r.8,
            lotId: r.9.map(LotId.init),
            holdId: r.10.map(HoldId.init),
            balanceAfterMinor: r.11,
            availableAfterMinor: r.12
        )
        return (receipt, r.13, r.14)
    }

    static func instant(_ milliseconds: Int64) -> Instant { Instant(millisecondsSinceEpoch: milliseconds) }
}

/// Bindings for `$1`, `$2`, … in order.
func binds(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
    binds(values)
}

func binds(_ values: [any PostgresDynamicTypeEncodable]) -> PostgresBindings {
    var bindings = PostgresBindings(capacity: values.count)
    for value in values { bindings.append(value) }
    return bindings
}
