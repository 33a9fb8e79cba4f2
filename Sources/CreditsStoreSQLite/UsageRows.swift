import CreditsCore
import CreditsStore
import GRDB
import GRDBSQLite

/// Usage records and post-usage invoices; every function runs inside the caller's transaction.
enum UsageRows {
    static func insert(_ record: UsageRecord, fingerprint: String, of tenantId: TenantId, _ db: Database) throws {
        try db.cachedStatement(sql: insertSQL).insert(StoredRows.values(of: record, fingerprint: fingerprint, tenant: tenantId))
    }

    /// Removes a record that a new one replaces (a late end's), in the same transaction.
    static func delete(_ usageId: String, of tenantId: TenantId, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM usage_record WHERE tenant_id = ? AND usage_id = ?").execute(arguments: [tenantId.rawValue, usageId])
    }

    private static let insertSQL =
        "INSERT INTO usage_record (\(StoredRows.usageRecordColumns)) VALUES (\(StoredRows.placeholders(StoredRows.usageRecordColumns)))"

    static func record(_ usageId: String, of tenantId: TenantId, _ db: Database) throws -> (fingerprint: String, record: UsageRecord)? {
        let statement = try db.cachedStatement(sql: "SELECT \(recordColumns), fingerprint FROM usage_record WHERE tenant_id = ? AND usage_id = ?")
        let rows = try Row.fetchCursor(statement, arguments: [tenantId.rawValue, usageId])
        guard let row = try rows.next() else { return nil }
        return (row[recordColumnCount], record(statement))
    }

    /// The kept records of these usage ids, with their fingerprints, in one query.
    static func records(
        _ usageIds: some Sequence<String>,
        of tenantId: TenantId,
        _ db: Database
    ) throws
        -> [String: (fingerprint: String, record: UsageRecord)]
    {
        let statement = try db.cachedStatement(
            sql: """
                SELECT \(recordColumns), fingerprint FROM usage_record WHERE tenant_id = ? AND usage_id IN (SELECT value FROM json_each(?))
                """
        )
        let rows = try Row.fetchCursor(statement, arguments: [tenantId.rawValue, LedgerRows.jsonArray(usageIds)])
        var found: [String: (fingerprint: String, record: UsageRecord)] = [:]
        while let row = try rows.next() {
            let record = record(statement)
            found[record.usageId] = (row[recordColumnCount], record)
        }
        return found
    }

    static func records(of tenantId: TenantId, from: Instant, to: Instant, after: UsageCursor?, limit: Int, _ db: Database) throws -> [UsageRecord] {
        // One lower bound on start_time, so that the index is entered at the cursor: given
        // two, SQLite enters at the range's start and walks every earlier page again.
        let (lower, afterId) = if let after, after.startTime >= from { (after.startTime, after.usageId as String?) } else { (from, nil) }
        let statement = try db.cachedStatement(
            sql: """
                SELECT \(recordColumns) FROM usage_record WHERE tenant_id = ?1 AND start_time >= ?2 AND start_time < ?3
                AND (?4 IS NULL OR start_time > ?2 OR usage_id > ?4)
                ORDER BY start_time, usage_id LIMIT ?5
                """
        )
        let rows = try Row.fetchCursor(
            statement,
            arguments: [tenantId.rawValue, lower.millisecondsSinceEpoch, to.millisecondsSinceEpoch, afterId, limit]
        )
        var records: [UsageRecord] = []
        records.reserveCapacity(limit)
        while try rows.next() != nil { records.append(record(statement)) }
        return records
    }

    static func addRefusedCalls(_ counts: [RefusedCalls], of tenantId: TenantId, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO refused_call (tenant_id, day, reason, calls) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT (tenant_id, day, reason) DO UPDATE SET calls = calls + ?4
                """
        )
        for count in counts {
            try statement.insert(.text(tenantId.rawValue), .text(ISO8601.formatDate(count.day)), .text(count.reason.rawValue), .integer(count.calls))
        }
    }

    static func refusedCalls(of tenantId: TenantId, from: CivilDate, to: CivilDate, _ db: Database) throws -> [RefusedCalls] {
        try Row.fetchAll(
            db,
            sql: "SELECT day, reason, calls FROM refused_call WHERE tenant_id = ? AND day >= ? AND day <= ? ORDER BY day, reason",
            arguments: [tenantId.rawValue, ISO8601.formatDate(from), ISO8601.formatDate(to)]
        ).compactMap { row in
            // A reason a later version no longer knows is left out rather than misread.
            guard let reason = CallRefusal(rawValue: row["reason"]) else { return nil }
            return RefusedCalls(day: ISO8601.parse(row["day"] + "T00:00:00Z")!.civilDateAndTime.date, reason: reason, calls: row["calls"])
        }
    }

    static func charges(
        of tenantId: TenantId,
        from: Instant,
        to: Instant,
        periodMilliseconds period: Int64,
        paidBy capabilities: [String],
        _ db: Database
    ) throws
        -> [Instant: Int64]
    {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT start_time / ?4 AS period, SUM(charge_minor) AS charged FROM usage_record
                WHERE tenant_id = ?1 AND start_time >= ?2 AND start_time < ?3 AND capability IN (SELECT value FROM json_each(?5))
                GROUP BY period
                """,
            arguments: [tenantId.rawValue, from.millisecondsSinceEpoch, to.millisecondsSinceEpoch, period, StoredValues.json(capabilities)]
        )
        return Dictionary(
            uniqueKeysWithValues: rows.map { row in (Instant(millisecondsSinceEpoch: (row["period"] as Int64) * period), row["charged"] as Int64) }
        )
    }

    static func count(of tenantId: TenantId, from: Instant, to: Instant, _ db: Database) throws -> Int {
        try Int.fetchOne(
            db,
            sql: "SELECT COUNT(*) FROM usage_record WHERE tenant_id = ? AND start_time >= ? AND start_time < ?",
            arguments: [tenantId.rawValue, from.millisecondsSinceEpoch, to.millisecondsSinceEpoch]
        ) ?? 0
    }

    static func hasRecord(of tenantId: TenantId, before horizon: Instant, _ db: Database) throws -> Bool {
        try Row.fetchOne(
            db,
            sql: "SELECT 1 FROM usage_record WHERE tenant_id = ? AND start_time < ? LIMIT 1",
            arguments: [tenantId.rawValue, horizon.millisecondsSinceEpoch]
        ) != nil
    }

    /// Deletes up to `limit` of the tenant's records that started before `horizon`; returns how many.
    static func delete(of tenantId: TenantId, before horizon: Instant, limit: Int, _ db: Database) throws -> Int {
        try db.execute(
            sql: """
                DELETE FROM usage_record WHERE (tenant_id, usage_id) IN
                    (SELECT tenant_id, usage_id FROM usage_record WHERE tenant_id = ?1 AND start_time < ?2 LIMIT ?3)
                """,
            arguments: [tenantId.rawValue, horizon.millisecondsSinceEpoch, limit]
        )
        return db.changesCount
    }

    /// What `record(_:)` reads, in this order.
    static let recordColumns = """
        usage_id, call_id, conference_id, user_location, user_object_id, upn, user_display_name, caller, call_type, number_type, \
        domestic, destination_name, destination_number, external_country, start_time, end_time, duration_seconds, billed_seconds, \
        message_units, fee_minor, charge_minor, currency, capability, pool, pool_units, source, administrative_units, unlicensed_use
        """
    static let recordColumnCount = recordColumns.split(separator: ",").count

    /// The record on the row `statement` stands on, read through SQLite's own column functions:
    /// exports read a million of these, and GRDB's generic decoding cost more than all the rest.
    static func record(_ statement: Statement) -> UsageRecord {
        let row = statement.sqliteStatement
        func text(_ index: Int32) -> String? {
            guard let characters = sqlite3_column_text(row, index) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: characters, count: Int(sqlite3_column_bytes(row, index))), as: UTF8.self)
        }
        func int(_ index: Int32) -> Int64 { sqlite3_column_int64(row, index) }
        func country(_ index: Int32) -> CountryCode? { text(index).flatMap(CountryCode.init) }
        return UsageRecord(
            usageId: text(0)!,
            callId: text(1)!,
            conferenceId: text(2),
            userLocation: country(3),
            userObjectId: text(4),
            upn: text(5).map(UserPrincipalName.init(stored:)),
            userDisplayName: text(6),
            callerNumber: try! PhoneNumber(text(7)!),
            callType: CallType(rawValue: text(8)!)!,
            numberType: text(9).flatMap(NumberType.init(rawValue:)),
            isDomestic: int(10) != 0,
            destinationName: text(11),
            destinationNumber: try! PhoneNumber(text(12)!),
            externalCountry: country(13),
            startTime: Instant(millisecondsSinceEpoch: int(14)),
            endTime: Instant(millisecondsSinceEpoch: int(15)),
            durationSeconds: int(16),
            billedSeconds: int(17),
            messageUnits: int(18),
            connectionFeeMinor: int(19),
            chargeMinor: int(20),
            currency: Currency(code: text(21)!)!,
            capability: Capability(rawValue: text(22)!)!,
            pool: text(23).flatMap(PoolKey.init(stored:)),
            poolUnits: int(24),
            source: UsageRecord.Source(rawValue: text(25)!)!,
            administrativeUnits: text(26),
            unlicensedUse: int(27) != 0
        )
    }

    // MARK: Post-usage invoices

    /// Months that ended before `now` with post-usage charges and no invoice yet.
    static func issuePostUsageInvoices(at now: Instant, _ db: Database) throws -> [PostUsageInvoice] {
        let due = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM (
                    SELECT tenant_id, strftime('%Y-%m', start_time / 1000, 'unixepoch') AS month, currency,
                           SUM(charge_minor) AS amount, COUNT(*) AS records
                    FROM usage_record WHERE capability = 'POSTUSAGE' AND start_time < ?
                    GROUP BY tenant_id, month, currency
                ) AS due
                WHERE amount > 0 AND NOT EXISTS (SELECT 1 FROM post_usage_invoice AS p WHERE p.tenant_id = due.tenant_id AND p.month = due.month)
                """,
            arguments: [CalendarMonth(of: now).start.millisecondsSinceEpoch]
        )
        return try due.map { row in
            try db.execute(
                sql: "INSERT INTO post_usage_invoice (tenant_id, month, issued_at, amount_minor, currency, records) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [row["tenant_id"], row["month"], now.millisecondsSinceEpoch, row["amount"], row["currency"], row["records"]]
            )
            let invoice = PostUsageInvoice(
                id: db.lastInsertedRowID,
                tenantId: TenantId(row["tenant_id"]),
                month: CalendarMonth(row["month"])!,
                issuedAt: now,
                amountMinor: row["amount"],
                currency: Currency(code: row["currency"])!,
                records: row["records"]
            )
            try NotificationRows.note(
                .postUsageInvoiceIssued(invoiceId: invoice.id, amountMinor: invoice.amountMinor, month: invoice.month),
                of: invoice.tenantId,
                at: now,
                db
            )
            return invoice
        }
    }

    static func postUsageInvoices(of tenantId: TenantId, _ db: Database) throws -> [PostUsageInvoice] {
        try Row.fetchAll(db, sql: "SELECT * FROM post_usage_invoice WHERE tenant_id = ? ORDER BY id DESC", arguments: [tenantId.rawValue]).map {
            row in
            PostUsageInvoice(
                id: row["id"],
                tenantId: tenantId,
                month: CalendarMonth(row["month"])!,
                issuedAt: Instant(millisecondsSinceEpoch: row["issued_at"]),
                amountMinor: row["amount_minor"],
                currency: Currency(code: row["currency"])!,
                records: row["records"]
            )
        }
    }
}
