public import CreditsCore
public import CreditsStore
import GRDB

extension SQLiteCallStore {
    public func controls(of tenantId: TenantId) async throws -> CallControls {
        try await database.read { db in try Self.controls(tenantId, db) }
    }

    public func changeControls(
        of tenantId: TenantId,
        at now: Instant,
        _ change: @Sendable (inout CallControls) throws -> [ControlChange]
    ) async throws -> CallControls {
        try await database.write { db in
            let before = try Self.controls(tenantId, db)
            var controls = before
            let lines = try change(&controls)
            guard controls != before else { return controls }
            let limited = controls.userSpendLimits.keys.filter { before.userSpendLimits[$0] == nil }
            if !limited.isEmpty { try Self.startSpend(of: limited, in: CalendarMonth(of: now), of: tenantId, db) }
            let limitedUnits = controls.unitSpendLimits.keys.filter { before.unitSpendLimits[$0] == nil }
            if !limitedUnits.isEmpty { try Self.startSpend(ofUnits: Array(limitedUnits), in: CalendarMonth(of: now), of: tenantId, db) }
            if VelocityAlarm.restartsHour(before: before.velocity, after: controls.velocity) {
                try db.execute(sql: "DELETE FROM credit_spend_minute WHERE tenant_id = ?", arguments: [tenantId.rawValue])
            }
            try Self.write(controls, lines, of: tenantId, db)
            return controls
        }
    }

    /// The document and its audit lines; the document's trigger counts it in the tenant's version.
    static func write(_ controls: CallControls, _ lines: [ControlChange], of tenantId: TenantId, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO call_controls (tenant_id, document) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET document = excluded.document",
            arguments: [tenantId.rawValue, StoredValues.json(controls)]
        )
        for line in lines {
            try db.execute(
                sql: "INSERT INTO control_change (tenant_id, at, actor, subject, before, after) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [tenantId.rawValue, line.at.millisecondsSinceEpoch, line.actor, line.subject, line.before, line.after]
            )
        }
    }

    public func recentSpend(of tenantId: TenantId, at now: Instant) async throws -> SpendMinutes {
        try await database.read { db in try Self.recentSpend(of: tenantId, at: now, db) }
    }

    static func recentSpend(of tenantId: TenantId, at now: Instant, _ db: Database) throws -> SpendMinutes {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT minute, spent_minor FROM credit_spend_minute WHERE tenant_id = ? AND minute >= ?"),
            arguments: [tenantId.rawValue, SpendMinutes.firstMinute(at: now)]
        )
        return SpendMinutes(minutes: Dictionary(rows.map { ($0["minute"] as Int64, $0["spent_minor"] as Int64) }, uniquingKeysWith: +))
    }

    /// What the requests added to each minute, and the minutes the sliding hour left behind.
    static func writeSpendMinutes(_ changes: CallDesk.Changes, of tenantId: TenantId, _ db: Database) throws {
        if let before = changes.forgetsSpendMinutesBefore {
            try db.execute(
                sql: "DELETE FROM credit_spend_minute WHERE tenant_id = ? AND minute < ?",
                arguments: [tenantId.rawValue, before]
            )
        }
        guard !changes.spendMinutes.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO credit_spend_minute (tenant_id, minute, spent_minor) VALUES (?1, ?2, ?3)
                ON CONFLICT (tenant_id, minute) DO UPDATE SET spent_minor = spent_minor + ?3
                """
        )
        for (minute, amount) in changes.spendMinutes { try statement.insert(.text(tenantId.rawValue), .integer(minute), .integer(amount)) }
    }

    public func everyTenantsControls() async throws -> [TenantId: CallControls] {
        try await database.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT tenant_id, document FROM call_controls").map {
                    (TenantId($0["tenant_id"]), StoredValues.controls($0["document"]))
                }
            )
        }
    }

    public func controlChanges(of tenantId: TenantId, before: Int64?, limit: Int) async throws -> [NumberedControlChange] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM control_change WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                arguments: [tenantId.rawValue, before ?? Int64.max, limit]
            ).map { row in
                NumberedControlChange(
                    id: row["id"],
                    change: ControlChange(
                        tenantId: tenantId,
                        at: Instant(millisecondsSinceEpoch: row["at"]),
                        actor: row["actor"],
                        subject: row["subject"],
                        before: row["before"],
                        after: row["after"]
                    )
                )
            }
        }
    }

    public func userSpends(of tenantId: TenantId, month: CalendarMonth) async throws -> [MonthlySpend] {
        try await database.read { db in try Self.spends(of: tenantId, month: month, units: false, db) }
    }

    public func unitSpends(of tenantId: TenantId, month: CalendarMonth) async throws -> [MonthlySpend] {
        try await database.read { db in try Self.spends(of: tenantId, month: month, units: true, db) }
    }

    /// The stored spend of users (or units), with what their open calls hold.
    private static func spends(of tenantId: TenantId, month: CalendarMonth, units: Bool, _ db: Database) throws -> [MonthlySpend] {
        let (table, column) = StoredRows.spendTable(ofUnits: units)
        let sql = "SELECT \(column) AS spender, spent_minor FROM \(table) WHERE tenant_id = ? AND month = ?"
        var spent: [MonthlySpend.Slot: Int64] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: [tenantId.rawValue, month.description]) {
            spent[MonthlySpend.Slot(StoredRows.spender(named: row["spender"], ofUnits: units), month: month)] = row["spent_minor"]
        }
        let held = MonthlySpend.held(byOpenCalls: try Self.openHolds(of: tenantId, db)).filter {
            $0.key.month == month && ($0.key.upn == nil) == units
        }
        return MonthlySpend.merging(spent: spent, held: held)
    }

    /// What each open call of a user holds, with the units the user was in when it started.
    private static func openHolds(
        of tenantId: TenantId,
        _ db: Database
    ) throws -> [(upn: UserPrincipalName, units: Set<AdministrativeUnit>, startTime: Instant, heldMinor: Int64)] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT upn, administrative_units, start_time, held_minor FROM call_session INDEXED BY call_session_open
                    WHERE state = 'open' AND tenant_id = ? AND upn IS NOT NULL AND held_minor > 0
                    """
            ),
            arguments: [tenantId.rawValue]
        ).map {
            (
                UserPrincipalName(stored: $0["upn"]),
                Set(StoredValues.names($0["administrative_units"] ?? "[]").map(AdministrativeUnit.init(stored:))),
                Instant(millisecondsSinceEpoch: $0["start_time"]),
                $0["held_minor"]
            )
        }
    }

    static func spent(_ slot: MonthlySpend.Slot, of tenantId: TenantId, _ db: Database) throws -> Int64 {
        let row = StoredRows.spendRow(slot)
        return try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT spent_minor FROM \(row.table) WHERE tenant_id = ? AND month = ? AND \(row.column) = ?"),
            arguments: [tenantId.rawValue, slot.month.description, row.key]
        ) ?? 0
    }

    static func addSpend(_ changes: [MonthlySpend], of tenantId: TenantId, _ db: Database) throws {
        // One statement a table, prepared once a batch.
        var statements: [String: Statement] = [:]
        for change in changes {
            let row = StoredRows.spendRow(change.slot)
            let statement =
                try statements[row.table]
                ?? db.cachedStatement(
                    sql: """
                        INSERT INTO \(row.table) (tenant_id, month, \(row.column), spent_minor) VALUES (?1, ?2, ?3, ?4)
                        ON CONFLICT (tenant_id, month, \(row.column)) DO UPDATE SET spent_minor = spent_minor + ?4
                        """
                )
            statements[row.table] = statement
            try statement.insert(.text(tenantId.rawValue), .text(change.slot.month.description), .text(row.key), .integer(change.spentMinor))
        }
    }

    /// The spend of units newly given a limit: what the month's credit-paid records naming
    /// them were charged (`MonthlySpend.charged`).
    private static func startSpend(ofUnits units: [AdministrativeUnit], in month: CalendarMonth, of tenantId: TenantId, _ db: Database) throws {
        let charges = try Row.fetchAll(
            db,
            sql: """
                SELECT administrative_units, SUM(charge_minor) AS charged FROM usage_record
                WHERE tenant_id = ? AND start_time >= ? AND start_time < ? AND administrative_units IS NOT NULL
                    AND capability IN (SELECT value FROM json_each(?))
                GROUP BY administrative_units
                """,
            arguments: [
                tenantId.rawValue, month.start.millisecondsSinceEpoch, month.start.adding(months: 1).millisecondsSinceEpoch,
                StoredValues.json(Capability.allCases.filter(\.isCredits).map(\.rawValue)),
            ]
        ).map { (listed: $0["administrative_units"] as String, chargedMinor: $0["charged"] as Int64) }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO unit_spend (tenant_id, month, unit, spent_minor) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT (tenant_id, month, unit) DO UPDATE SET spent_minor = ?4
                """
        )
        for (unit, charged) in MonthlySpend.charged(units, byListedUnits: charges) {
            try statement.insert(.text(tenantId.rawValue), .text(month.description), .text(unit.rawValue), .integer(charged))
        }
    }

    /// The spend of users newly given a limit: what their credit-paid records of the month were charged.
    private static func startSpend(of users: [UserPrincipalName], in month: CalendarMonth, of tenantId: TenantId, _ db: Database) throws {
        let charged = try Row.fetchAll(
            db,
            sql: """
                SELECT upn, SUM(charge_minor) AS charged FROM usage_record
                WHERE tenant_id = ? AND start_time >= ? AND start_time < ? AND upn IN (SELECT value FROM json_each(?))
                    AND capability IN (SELECT value FROM json_each(?))
                GROUP BY upn
                """,
            arguments: [
                tenantId.rawValue, month.start.millisecondsSinceEpoch, month.start.adding(months: 1).millisecondsSinceEpoch,
                StoredValues.json(users.map(\.rawValue)), StoredValues.json(Capability.allCases.filter(\.isCredits).map(\.rawValue)),
            ]
        ).reduce(into: [String: Int64]()) { $0[$1["upn"]] = $1["charged"] }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO user_spend (tenant_id, month, upn, spent_minor) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT (tenant_id, month, upn) DO UPDATE SET spent_minor = ?4
                """
        )
        for upn in users {
            try statement.insert(.text(tenantId.rawValue), .text(month.description), .text(upn.rawValue), .integer(charged[upn.rawValue] ?? 0))
        }
    }

    static func controls(_ tenantId: TenantId, _ db: Database) throws -> CallControls {
        let document = try String.fetchOne(
            db.cachedStatement(sql: "SELECT document FROM call_controls WHERE tenant_id = ?"),
            arguments: [tenantId.rawValue]
        )
        return document.map(StoredValues.controls) ?? .none
    }
}
