import CreditsCore
import CreditsStore
import GRDB

/// Reading and writing the ledger's rows; every function runs inside the caller's transaction.
enum LedgerRows {
    /// The account with its live lots, the open holds due by `now` (every open hold when
    /// `withEveryOpenHold`, as an account kept in memory needs) and the holds named.
    static func loadAccount(
        _ tenantId: TenantId,
        naming holdIds: Set<HoldId> = [],
        withEveryOpenHold: Bool = false,
        dueBy now: Instant,
        _ db: Database
    ) throws -> CreditAccount {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT currency, debt_minor FROM credit_account WHERE tenant_id = ?"),
                arguments: [tenantId.rawValue]
            )
        else { throw LedgerError.unknownAccount(tenantId) }
        let lots = try self.lots(db, where: "tenant_id = ? AND (free_minor > 0 OR held_minor > 0)", arguments: [tenantId.rawValue])
        var holds = try self.holds(
            db,
            indexedBy: "credit_hold_due",
            where: "tenant_id = ? AND state = 'open' AND expires_at <= ?",
            arguments: [tenantId.rawValue, withEveryOpenHold ? Int64.max : now.millisecondsSinceEpoch]
        )
        let loaded = Set(holds.map(\.id))
        for holdId in holdIds where !loaded.contains(holdId) {
            holds += try self.holds(db, where: "tenant_id = ? AND hold_id = ?", arguments: [tenantId.rawValue, holdId.rawValue])
        }
        return CreditAccount(tenantId: tenantId, currency: Currency(code: row[0])!, liveLots: lots, holds: holds, debtMinor: row[1])
    }

    /// The account's currency and balance as of `now`, from its live lots; nil without an account.
    static func balance(of tenantId: TenantId, at now: Instant, _ db: Database) throws -> (currency: Currency, balanceMinor: Int64)? {
        guard
            let account = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT currency, debt_minor FROM credit_account WHERE tenant_id = ?"),
                arguments: [tenantId.rawValue]
            )
        else { return nil }
        let lots = try self.lots(db, where: "tenant_id = ? AND (free_minor > 0 OR held_minor > 0)", arguments: [tenantId.rawValue])
        return (Currency(code: account[0])!, CreditFigures(lots: lots, debtMinor: account[1], at: now).balanceMinor)
    }

    /// Lot and transaction numbers continue from the highest written; the write lock is held,
    /// so nobody else can take them.
    static func nextIds(_ db: Database) throws -> LedgerIdAllocator {
        let lot = try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM credit_lot"))!
        let transaction = try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM journal_transaction"))!
        return LedgerIdAllocator(nextLotId: lot, nextTransactionId: transaction)
    }

    /// What the store remembers of these keys, in one query for a whole batch.
    static func recorded(_ keys: [IdempotencyKey], of tenantId: TenantId, _ db: Database) throws -> [IdempotencyKey: RecordedRequest] {
        let statement = try db.cachedStatement(
            sql: """
                SELECT \(receiptColumns), fingerprint, idempotency_key FROM journal_transaction
                WHERE tenant_id = ? AND idempotency_key IN (SELECT value FROM json_each(?))
                """
        )
        let keysAsJSON = jsonArray(keys.map(\.rawValue))
        var recorded: [IdempotencyKey: RecordedRequest] = [:]
        for row in try Row.fetchAll(statement, arguments: [tenantId.rawValue, keysAsJSON]) {
            recorded[IdempotencyKey(stored: row[receiptColumnCount + 1])] =
                RecordedRequest(fingerprint: row[receiptColumnCount], receipt: receipt(row))
        }
        return recorded
    }

    /// A JSON array of strings. Keys and usage ids hold no control characters (`IdempotencyKey`
    /// and `CallSessionId` refuse them), so quotes and backslashes are all there is to escape.
    static func jsonArray(_ strings: some Sequence<String>) -> String {
        var json = "["
        for (index, string) in strings.enumerated() {
            if index > 0 { json += "," }
            json += "\""
            for character in string.unicodeScalars {
                if character == "\"" || character == "\\" { json += "\\" }
                json.unicodeScalars.append(character)
            }
            json += "\""
        }
        return json + "]"
    }

    /// `autoRecharge`: the tenant's settings when the caller knows them (a kept call state), else they are read.
    static func write(_ changes: LedgerChanges, of account: CreditAccount, autoRecharge: AutoRechargeSettings? = nil, _ db: Database) throws {
        let tenant = account.tenantId.rawValue
        let insertTransaction = try db.cachedStatement(
            sql: """
                INSERT INTO journal_transaction (id, tenant_id, idempotency_key, fingerprint, kind, occurred_at, amount_minor,
                    consumed_minor, debt_incurred_minor, debt_repaid_minor, released_minor, forfeited_minor, lot_id, hold_id,
                    balance_after_minor, available_after_minor)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        let insertEntry = try db.cachedStatement(
            sql: """
                INSERT INTO journal_entry (transaction_id, position, account, lot_id, hold_id, amount_minor) VALUES (?, ?, ?, ?, ?, ?)
                """
        )
        for transaction in changes.transactions {
            let r = transaction.receipt
            try insertTransaction.insert(
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
                try insertEntry.insert(
                    .integer(r.transactionId.rawValue),
                    .integer(Int64(position)),
                    .text(entry.account.rawValue),
                    .optional(entry.lotId?.rawValue),
                    .optional(entry.holdId?.rawValue),
                    .integer(entry.amountMinor)
                )
            }
        }
        let upsertLot = try db.cachedStatement(
            sql: """
                INSERT INTO credit_lot (id, tenant_id, source, amount_minor, free_minor, held_minor, forfeited_minor, refunded_minor,
                    purchased_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET free_minor = excluded.free_minor, held_minor = excluded.held_minor,
                    forfeited_minor = excluded.forfeited_minor, refunded_minor = excluded.refunded_minor
                """
        )
        for lot in changes.lots.values.sorted(by: { $0.id < $1.id }) {
            try upsertLot.execute(arguments: [
                lot.id.rawValue, tenant, lot.source.rawValue, lot.amountMinor, lot.freeMinor, lot.heldMinor, lot.forfeitedMinor,
                lot.refundedMinor, lot.purchasedAt.millisecondsSinceEpoch, lot.expiresAt.millisecondsSinceEpoch,
            ])
        }
        for hold in changes.holds.values {
            try write(hold, of: tenant, db)
        }
        if changes.debtChanged {
            try db.cachedStatement(sql: "UPDATE credit_account SET debt_minor = ? WHERE tenant_id = ?")
                .execute(arguments: [account.debtMinor, tenant])
        }
        try NotificationRows.noteBalanceAlerts(of: changes, account: account, autoRecharge: autoRecharge, db)
    }

    private static func write(_ hold: Hold, of tenant: String, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO credit_hold (tenant_id, hold_id, state, reserved_minor, open_minor, posted_minor, created_at, expires_at,
                    settled_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (tenant_id, hold_id) DO UPDATE SET state = excluded.state, reserved_minor = excluded.reserved_minor,
                    open_minor = excluded.open_minor, posted_minor = excluded.posted_minor, expires_at = excluded.expires_at,
                    settled_at = excluded.settled_at
                """
        ).execute(arguments: [
            tenant, hold.id.rawValue, hold.state.rawValue, hold.reservedMinor, hold.openMinor, hold.postedMinor,
            hold.createdAt.millisecondsSinceEpoch, hold.expiresAt.millisecondsSinceEpoch, hold.settledAt?.millisecondsSinceEpoch,
        ])
        try db.cachedStatement(sql: "DELETE FROM credit_hold_allocation WHERE tenant_id = ? AND hold_id = ?")
            .execute(arguments: [tenant, hold.id.rawValue])
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO credit_hold_allocation (tenant_id, hold_id, lot_id, amount_minor, position) VALUES (?, ?, ?, ?, ?)
                """
        )
        for (position, allocation) in hold.allocations.enumerated() where allocation.amountMinor > 0 {
            try insert.execute(arguments: [tenant, hold.id.rawValue, allocation.lotId.rawValue, allocation.amountMinor, position])
        }
    }

    /// Lots matching a condition; rows are decoded by position, which is much faster than by name.
    static func lots(_ db: Database, where condition: String, arguments: StatementArguments) throws -> [Lot] {
        let sql = """
            SELECT id, source, amount_minor, free_minor, held_minor, forfeited_minor, refunded_minor, purchased_at, expires_at
            FROM credit_lot WHERE \(condition)
            """
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
            Lot(
                id: LotId(row[0]),
                source: Lot.Source(rawValue: row[1])!,
                amountMinor: row[2],
                freeMinor: row[3],
                heldMinor: row[4],
                forfeitedMinor: row[5],
                refundedMinor: row[6],
                purchasedAt: instant(row[7]),
                expiresAt: instant(row[8])
            )
        }
    }

    /// Holds matching a condition, with their allocations; decoded by position.
    /// Holds matching a condition, through `index` when given: without statistics SQLite would
    /// otherwise walk every hold the tenant ever had to find the few that are open and due.
    static func holds(_ db: Database, indexedBy index: String? = nil, where condition: String, arguments: StatementArguments) throws -> [Hold] {
        let sql = """
            SELECT tenant_id, hold_id, state, reserved_minor, open_minor, posted_minor, created_at, expires_at, settled_at
            FROM credit_hold\(index.map { " INDEXED BY \($0)" } ?? "") WHERE \(condition)
            """
        let allocationsOf = try db.cachedStatement(
            sql: """
                SELECT lot_id, amount_minor FROM credit_hold_allocation WHERE tenant_id = ? AND hold_id = ? ORDER BY position
                """
        )
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
            let allocations = try Row.fetchAll(allocationsOf, arguments: [row[0] as String, row[1] as String])
                .map { Hold.Allocation(lotId: LotId($0[0]), amountMinor: $0[1]) }
            return Hold(
                id: HoldId(row[1]),
                state: Hold.State(rawValue: row[2])!,
                reservedMinor: row[3],
                openMinor: row[4],
                postedMinor: row[5],
                allocations: allocations,
                createdAt: instant(row[6]),
                expiresAt: instant(row[7]),
                settledAt: (row[8] as Int64?).map(instant)
            )
        }
    }

    static func transactions(of tenantId: TenantId, before: TransactionId?, limit: Int, _ db: Database) throws -> [JournalTransaction] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT \(receiptColumns), fingerprint, idempotency_key FROM journal_transaction
                WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?
                """,
            arguments: [tenantId.rawValue, before?.rawValue ?? Int64.max, limit]
        )
        let entriesOf = try db.cachedStatement(
            sql: """
                SELECT account, lot_id, hold_id, amount_minor FROM journal_entry WHERE transaction_id = ? ORDER BY position
                """
        )
        return try rows.map { row in
            let receipt = receipt(row)
            let entries = try Row.fetchAll(entriesOf, arguments: [receipt.transactionId.rawValue]).map(entry)
            return JournalTransaction(
                idempotencyKey: IdempotencyKey(stored: row[receiptColumnCount + 1]),
                fingerprint: row[receiptColumnCount],
                entries: entries,
                receipt: receipt
            )
        }
    }

    /// Streams the whole journal through a `LedgerAudit`, then compares every lot and account.
    static func audit(_ db: Database) throws -> LedgerVerification {
        var audit = LedgerAudit()
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT e.account, e.lot_id, e.hold_id, e.amount_minor, e.transaction_id, t.tenant_id
                FROM journal_entry e JOIN journal_transaction t ON t.id = e.transaction_id
                ORDER BY e.transaction_id, e.position
                """
        )
        var current: (id: TransactionId, tenant: TenantId)?
        var entries: [JournalEntry] = []
        while let row = try cursor.next() {
            let id = TransactionId(row[4])
            if current?.id != id {
                if let current { audit.record(current.id, of: current.tenant, entries: entries) }
                current = (id, TenantId(row[5]))
                entries.removeAll(keepingCapacity: true)
            }
            entries.append(entry(row))
        }
        if let current { audit.record(current.id, of: current.tenant, entries: entries) }
        for account in try Row.fetchAll(db, sql: "SELECT tenant_id, debt_minor FROM credit_account ORDER BY tenant_id") {
            let tenant: String = account["tenant_id"]
            let lots = try lots(db, where: "tenant_id = ?", arguments: [tenant])
            for lot in lots { audit.compare(lot) }
            let holds = try holds(db, where: "tenant_id = ? AND state = 'open'", arguments: [tenant])
            audit.compare(tenantId: TenantId(tenant), debtMinor: account["debt_minor"], openHolds: holds, lots: lots)
        }
        return audit.finish()
    }

    /// `account, lot_id, hold_id, amount_minor` first.
    private static func entry(_ row: Row) -> JournalEntry {
        JournalEntry(
            account: LedgerAccount(rawValue: row[0])!,
            lotId: (row[1] as Int64?).map(LotId.init),
            holdId: (row[2] as String?).map(HoldId.init),
            amountMinor: row[3]
        )
    }

    private static let receiptColumns = """
        id, kind, occurred_at, amount_minor, consumed_minor, debt_incurred_minor, debt_repaid_minor, released_minor,
        forfeited_minor, lot_id, hold_id, balance_after_minor, available_after_minor
        """
    private static let receiptColumnCount = 13

    /// `receiptColumns` first.
    private static func receipt(_ row: Row) -> LedgerReceipt {
        LedgerReceipt(
            transactionId: TransactionId(row[0]),
            kind: TransactionKind(rawValue: row[1])!,
            occurredAt: instant(row[2]),
            amountMinor: row[3],
            consumedMinor: row[4],
            debtIncurredMinor: row[5],
            debtRepaidMinor: row[6],
            releasedMinor: row[7],
            forfeitedMinor: row[8],
            lotId: (row[9] as Int64?).map(LotId.init),
            holdId: (row[10] as String?).map(HoldId.init),
            balanceAfterMinor: row[11],
            availableAfterMinor: row[12]
        )
    }

    private static func instant(_ milliseconds: Int64) -> Instant { Instant(millisecondsSinceEpoch: milliseconds) }
}
