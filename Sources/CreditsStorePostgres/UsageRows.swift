import CreditsCore
import CreditsStore
import Logging
import PostgresNIO

/// Usage records and post-usage invoices; every function runs inside the caller's transaction.
enum UsageRows {
    static func insert(
        _ records: [(record: UsageRecord, fingerprint: String)],
        of tenantId: TenantId,
        _ c: PostgresSession
    ) async throws {
        var insert = RowsInsert(
            "INSERT INTO usage_record (\(StoredRows.usageRecordColumns)) VALUES",
            columns: StoredRows.count(StoredRows.usageRecordColumns)
        )
        for (record, fingerprint) in records { insert.add(StoredRows.values(of: record, fingerprint: fingerprint, tenant: tenantId)) }
        try await insert.run(on: c)
    }

    /// Removes records that new ones replace (a late end's), in the same transaction.
    static func delete(_ usageIds: [String], of tenantId: TenantId, _ c: PostgresSession) async throws {
        guard !usageIds.isEmpty else { return }
        try await c.run("DELETE FROM usage_record WHERE tenant_id = \(tenantId.rawValue) AND usage_id = ANY(\(usageIds))")
    }

    /// The records of these usage ids that are kept, with their fingerprints.
    static func records(
        _ usageIds: [String],
        of tenantId: TenantId,
        _ c: PostgresSession
    ) async throws
        -> [String: (fingerprint: String, record: UsageRecord)]
    {
        guard !usageIds.isEmpty else { return [:] }
        var found: [String: (fingerprint: String, record: UsageRecord)] = [:]
        for try await row in try await c.query(
            """
            SELECT \(unescaped: recordColumns), fingerprint FROM usage_record WHERE tenant_id = \(tenantId.rawValue) AND usage_id = ANY(\(usageIds))
            """
        ) {
            let record = try record(row)
            found[record.usageId] = (try row.makeRandomAccess()[recordColumnCount].decode(String.self), record)
        }
        return found
    }

    static func records(
        of tenantId: TenantId,
        from: Instant,
        to: Instant,
        after: UsageCursor?,
        limit: Int,
        _ c: PostgresSession
    )
        async throws -> [UsageRecord]
    {
        // Usage ids are never empty: (from, "") comes before every record that starts at `from`.
        let (afterStart, afterId) = if let after, after.startTime >= from { (after.startTime, after.usageId) } else { (from, "") }
        return try await c.records(
            """
            SELECT \(unescaped: recordColumns) FROM usage_record
            WHERE tenant_id = \(tenantId.rawValue) AND (start_time, usage_id) > (\(afterStart.millisecondsSinceEpoch), \(afterId))
            AND start_time < \(to.millisecondsSinceEpoch)
            ORDER BY start_time, usage_id LIMIT \(Int64(limit))
            """,
            record
        )
    }

    static func charges(
        of tenantId: TenantId,
        from: Instant,
        to: Instant,
        periodMilliseconds period: Int64,
        paidBy capabilities: [String],
        _ c: PostgresSession
    ) async throws -> [Instant: Int64] {
        let rows = try await c.rows(
            """
            SELECT start_time / \(period) AS period, SUM(charge_minor)::bigint FROM usage_record
            WHERE tenant_id = \(tenantId.rawValue) AND start_time >= \(from.millisecondsSinceEpoch) AND start_time < \(to.millisecondsSinceEpoch)
            AND capability = ANY(\(capabilities))
            GROUP BY period
            """,
            as: (Int64, Int64).self
        )
        return Dictionary(uniqueKeysWithValues: rows.map { index, charged in (Instant(millisecondsSinceEpoch: index * period), charged) })
    }

    /// What `record(_:)` reads, in this order.
    static let recordColumns = """
        usage_id, call_id, conference_id, user_location, user_object_id, upn, user_display_name, caller, call_type, number_type, \
        domestic, destination_name, destination_number, external_country, start_time, end_time, duration_seconds, billed_seconds, \
        message_units, fee_minor, charge_minor, currency, capability, pool, pool_units, source, administrative_units, unlicensed_use
        """
    static let recordColumnCount = recordColumns.split(separator: ",").count

    static func record(_ row: PostgresRow) throws -> UsageRecord {
        let r = try row.decode(
            (
                String, String, String?, String?, String?, String?, String?, String, String, String?, Int64, String?, String,
                String?, Int64, Int64, Int64, Int64, Int64, Int64, Int64, String, String, String?, Int64, String, String?, Int64
            ).self
        )
        return UsageRecord(
            usageId: r.0,
            callId: r.1,
            conferenceId: r.2,
            userLocation: r.3.flatMap(CountryCode.init),
            userObjectId: r.4,
            upn: r.5.map(UserPrincipalName.init(stored:)),
            userDisplayName: r.6,
            callerNumber: try PhoneNumber(r.7),
            callType: CallType(rawValue: r.8)!,
            numberType: r.9.flatMap(NumberType.init(rawValue:)),
            isDomestic: r.10 != 0,
            destinationName: r.11,
            destinationNumber: try PhoneNumber(r.12),
            externalCountry: r.13.flatMap(CountryCode.init),
            startTime: LedgerRows.instant(r.14),
            endTime: LedgerRows.instant(r.15),
            durationSeconds: r.16,
            billedSeconds: r.17,
            messageUnits: r.18,
            connectionFeeMinor: r.19,
            chargeMinor: r.20,
            currency: Currency(code: r.21)!,
            capability: Capability(rawValue: r.22)!,
            pool: r.23.flatMap(PoolKey.init(stored:)),
            poolUnits: r.24,
            source: UsageRecord.Source(rawValue: r.25)!,
            administrativeUnits: r.26,
            unlicensedUse: r.27 != 0
        )
    }

    // MARK: Post-usage invoices

    /// Months that ended before `now` with post-usage charges and no invoice yet. Charges are
    /// summed by day in SQL and by month here: months in UTC are simple arithmetic in Swift and
    /// a dialect's date functions in SQL.
    static func issuePostUsageInvoices(at now: Instant, _ c: PostgresSession) async throws -> [PostUsageInvoice] {
        let days = try await c.rows(
            """
            SELECT tenant_id, currency, start_time / \(Instant.millisecondsPerDay) AS day, SUM(charge_minor)::bigint, COUNT(*)
            FROM usage_record WHERE capability = 'POSTUSAGE' AND start_time < \(CalendarMonth(of: now).start.millisecondsSinceEpoch)
            GROUP BY tenant_id, currency, day
            """,
            as: (String, String, Int64, Int64, Int64).self
        )
        struct Due: Hashable { let tenant: String, month: CalendarMonth, currency: String }
        var due: [Due: (amount: Int64, records: Int64)] = [:]
        for (tenant, currency, day, amount, records) in days {
            let month = CalendarMonth(of: Instant(millisecondsSinceEpoch: day * Instant.millisecondsPerDay))
            due[Due(tenant: tenant, month: month, currency: currency), default: (0, 0)].amount += amount
            due[Due(tenant: tenant, month: month, currency: currency), default: (0, 0)].records += records
        }
        var issued: [PostUsageInvoice] = []
        for (key, total) in due.sorted(by: { ($0.key.tenant, $0.key.month.description) < ($1.key.tenant, $1.key.month.description) })
        where total.amount > 0 {
            guard
                let id = try await c.row(
                    """
                    INSERT INTO post_usage_invoice (tenant_id, month, issued_at, amount_minor, currency, records)
                    VALUES (\(key.tenant), \(key.month.description), \(now.millisecondsSinceEpoch), \(total.amount), \(key.currency), \(total.records))
                    ON CONFLICT (tenant_id, month) DO NOTHING RETURNING id
                    """,
                    as: Int64.self
                )
            else { continue }
            let invoice = PostUsageInvoice(
                id: id,
                tenantId: TenantId(key.tenant),
                month: key.month,
                issuedAt: now,
                amountMinor: total.amount,
                currency: Currency(code: key.currency)!,
                records: total.records
            )
            try await NotificationRows.note(
                .postUsageInvoiceIssued(invoiceId: id, amountMinor: invoice.amountMinor, month: invoice.month),
                of: invoice.tenantId,
                at: now,
                c
            )
            issued.append(invoice)
        }
        return issued
    }

    static func postUsageInvoices(of tenantId: TenantId, _ c: PostgresSession) async throws -> [PostUsageInvoice] {
        try await c.rows(
            """
            SELECT id, month, issued_at, amount_minor, currency, records FROM post_usage_invoice WHERE tenant_id = \(tenantId.rawValue) ORDER BY id DESC
            """,
            as: (Int64, String, Int64, Int64, String, Int64).self
        ).map { r in
            PostUsageInvoice(
                id: r.0,
                tenantId: tenantId,
                month: CalendarMonth(r.1)!,
                issuedAt: LedgerRows.instant(r.2),
                amountMinor: r.3,
                currency: Currency(code: r.4)!,
                records: r.5
            )
        }
    }
}
