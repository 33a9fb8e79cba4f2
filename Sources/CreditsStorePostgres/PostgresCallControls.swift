public import CreditsCore
public import CreditsStore
import Logging
import PostgresNIO

extension PostgresCallStore {
    public func controls(of tenantId: TenantId) async throws -> CallControls {
        try await database.read { c in try await Self.controls(tenantId, c) }
    }

    /// Under the tenant's lock, so that two changes at once both count.
    public func changeControls(
        of tenantId: TenantId,
        at now: Instant,
        _ change: @Sendable (inout CallControls) throws -> [ControlChange]
    ) async throws -> CallControls {
        try await database.transaction { c in
            _ = try await LedgerRows.lockTenant(tenantId, c)
            let before = try await Self.controls(tenantId, c)
            var controls = before
            let lines = try change(&controls)
            guard controls != before else { return controls }
            let limited = controls.userSpendLimits.keys.filter { before.userSpendLimits[$0] == nil }
            if !limited.isEmpty { try await Self.startSpend(of: limited, in: CalendarMonth(of: now), of: tenantId, c) }
            let limitedUnits = controls.unitSpendLimits.keys.filter { before.unitSpendLimits[$0] == nil }
            if !limitedUnits.isEmpty { try await Self.startSpend(ofUnits: Array(limitedUnits), in: CalendarMonth(of: now), of: tenantId, c) }
            if VelocityAlarm.restartsHour(before: before.velocity, after: controls.velocity) {
                try await c.run("DELETE FROM credit_spend_minute WHERE tenant_id = \(tenantId.rawValue)")
            }
            try await Self.write(controls, lines, of: tenantId, c)
            return controls
        }
    }

    /// The document and its audit lines; the document's trigger counts it in the tenant's version.
    static func write(
        _ controls: CallControls,
        _ lines: [ControlChange],
        of tenantId: TenantId,
        _ c: PostgresSession
    ) async throws {
        try await c.run(
            """
            INSERT INTO call_controls (tenant_id, document) VALUES (\(tenantId.rawValue), \(StoredValues.json(controls)))
            ON CONFLICT (tenant_id) DO UPDATE SET document = excluded.document
            """
        )
        for line in lines {
            try await c.run(
                """
                INSERT INTO control_change (tenant_id, at, actor, subject, before, after)
                VALUES (\(tenantId.rawValue), \(line.at.millisecondsSinceEpoch), \(line.actor), \(line.subject), \(line.before), \(line.after))
                """
            )
        }
    }

    public func recentSpend(of tenantId: TenantId, at now: Instant) async throws -> SpendMinutes {
        try await database.read { c in try await Self.recentSpend(of: tenantId, at: now, c) }
    }

    static func recentSpend(of tenantId: TenantId, at now: Instant, _ c: PostgresSession) async throws -> SpendMinutes {
        let rows = try await c.rows(
            """
            SELECT minute, spent_minor FROM credit_spend_minute
            WHERE tenant_id = \(tenantId.rawValue) AND minute >= \(SpendMinutes.firstMinute(at: now))
            """,
            as: (Int64, Int64).self
        )
        return SpendMinutes(minutes: Dictionary(rows, uniquingKeysWith: +))
    }

    /// What the requests added to each minute, and the minutes the sliding hour left behind.
    static func writeSpendMinutes(_ changes: CallDesk.Changes, of tenantId: TenantId, _ c: PostgresSession) async throws {
        if let before = changes.forgetsSpendMinutesBefore {
            try await c.run("DELETE FROM credit_spend_minute WHERE tenant_id = \(tenantId.rawValue) AND minute < \(before)")
        }
        for (minute, amount) in changes.spendMinutes.sorted(by: { $0.key < $1.key }) {
            try await c.run(
                """
                INSERT INTO credit_spend_minute (tenant_id, minute, spent_minor) VALUES (\(tenantId.rawValue), \(minute), \(amount))
                ON CONFLICT (tenant_id, minute) DO UPDATE SET spent_minor = credit_spend_minute.spent_minor + excluded.spent_minor
                """
            )
        }
    }

    public func everyTenantsControls() async throws -> [TenantId: CallControls] {
        try await database.read { c in
            let rows = try await c.rows("SELECT tenant_id, document FROM call_controls", as: (String, String).self)
            return Dictionary(uniqueKeysWithValues: rows.map { (TenantId($0.0), StoredValues.controls($0.1)) })
        }
    }

    public func controlChanges(of tenantId: TenantId, before: Int64?, limit: Int) async throws -> [NumberedControlChange] {
        try await database.read { c in
            var changes: [NumberedControlChange] = []
            for try await (id, at, actor, subject, before, after) in try await c.query(
                """
                SELECT id, at, actor, subject, before, after FROM control_change
                WHERE tenant_id = \(tenantId.rawValue) AND id < \(before ?? Int64.max) ORDER BY id DESC LIMIT \(Int64(limit))
                """
            ).decode((Int64, Int64, String, String, String, String).self) {
                changes.append(
                    NumberedControlChange(
                        id: id,
                        change: ControlChange(
                            tenantId: tenantId,
                            at: Instant(millisecondsSinceEpoch: at),
                            actor: actor,
                            subject: subject,
                            before: before,
                            after: after
                        )
                    )
                )
            }
            return changes
        }
    }

    public func userSpends(of tenantId: TenantId, month: CalendarMonth) async throws -> [MonthlySpend] {
        try await database.read { c in try await Self.spends(of: tenantId, month: month, units: false, c) }
    }

    public func unitSpends(of tenantId: TenantId, month: CalendarMonth) async throws -> [MonthlySpend] {
        try await database.read { c in try await Self.spends(of: tenantId, month: month, units: true, c) }
    }

    /// The stored spend of users (or units), with what their open calls hold.
    private static func spends(
        of tenantId: TenantId,
        month: CalendarMonth,
        units: Bool,
        _ c: PostgresSession
    ) async throws -> [MonthlySpend] {
        let (table, column) = StoredRows.spendTable(ofUnits: units)
        var spent: [MonthlySpend.Slot: Int64] = [:]
        for (name, minor) in try await c.rows(
            """
            SELECT \(unescaped: column), spent_minor FROM \(unescaped: table) WHERE tenant_id = \(tenantId.rawValue) AND month = \(month.description)
            """,
            as: (String, Int64).self
        ) {
            spent[MonthlySpend.Slot(StoredRows.spender(named: name, ofUnits: units), month: month)] = minor
        }
        let held = MonthlySpend.held(byOpenCalls: try await openHolds(of: tenantId, c)).filter {
            $0.key.month == month && ($0.key.upn == nil) == units
        }
        return MonthlySpend.merging(spent: spent, held: held)
    }

    /// What each open call of a user holds, with the units the user was in when it started.
    static func openHolds(
        of tenantId: TenantId,
        _ c: PostgresSession
    ) async throws -> [(upn: UserPrincipalName, units: Set<AdministrativeUnit>, startTime: Instant, heldMinor: Int64)] {
        try await c.rows(
            """
            SELECT upn, administrative_units, start_time, held_minor FROM call_session
            WHERE state = 'open' AND tenant_id = \(tenantId.rawValue) AND upn IS NOT NULL AND held_minor > 0
            """,
            as: (String, String?, Int64, Int64).self
        ).map {
            (
                UserPrincipalName(stored: $0),
                Set(StoredValues.names($1 ?? "[]").map(AdministrativeUnit.init(stored:))),
                Instant(millisecondsSinceEpoch: $2),
                $3
            )
        }
    }

    static func spent(_ slot: MonthlySpend.Slot, of tenantId: TenantId, _ c: PostgresSession) async throws -> Int64 {
        let row = StoredRows.spendRow(slot)
        return try await c.row(
            """
            SELECT spent_minor FROM \(unescaped: row.table)
            WHERE tenant_id = \(tenantId.rawValue) AND month = \(slot.month.description) AND \(unescaped: row.column) = \(row.key)
            """,
            as: Int64.self
        ) ?? 0
    }

    /// In table, month and name order, under the tenant's lock.
    static func addSpend(_ changes: [MonthlySpend], of tenantId: TenantId, _ c: PostgresSession) async throws {
        let rows = changes.map { (row: StoredRows.spendRow($0.slot), month: $0.slot.month.description, minor: $0.spentMinor) }
        for change in rows.sorted(by: { ($0.row.table, $0.month, $0.row.key) < ($1.row.table, $1.month, $1.row.key) }) {
            let (table, column) = (change.row.table, change.row.column)
            try await c.run(
                """
                INSERT INTO \(unescaped: table) (tenant_id, month, \(unescaped: column), spent_minor)
                VALUES (\(tenantId.rawValue), \(change.month), \(change.row.key), \(change.minor))
                ON CONFLICT (tenant_id, month, \(unescaped: column)) DO UPDATE SET spent_minor = \(unescaped: table).spent_minor + excluded.spent_minor
                """
            )
        }
    }

    /// The spend of units newly given a limit: what the month's credit-paid records naming
    /// them were charged (`MonthlySpend.charged`).
    private static func startSpend(
        ofUnits units: [AdministrativeUnit],
        in month: CalendarMonth,
        of tenantId: TenantId,
        _ c: PostgresSession
    ) async throws {
        let charges = try await c.rows(
            """
            SELECT administrative_units, SUM(charge_minor)::BIGINT FROM usage_record
            WHERE tenant_id = \(tenantId.rawValue) AND start_time >= \(month.start.millisecondsSinceEpoch)
                AND start_time < \(month.start.adding(months: 1).millisecondsSinceEpoch) AND administrative_units IS NOT NULL
                AND capability = ANY(\(Capability.allCases.filter(\.isCredits).map(\.rawValue)))
            GROUP BY administrative_units
            """,
            as: (String, Int64).self
        ).map { (listed: $0, chargedMinor: $1) }
        for (unit, charged) in MonthlySpend.charged(units, byListedUnits: charges).sorted(by: { $0.key < $1.key }) {
            try await c.run(
                """
                INSERT INTO unit_spend (tenant_id, month, unit, spent_minor)
                VALUES (\(tenantId.rawValue), \(month.description), \(unit.rawValue), \(charged))
                ON CONFLICT (tenant_id, month, unit) DO UPDATE SET spent_minor = excluded.spent_minor
                """
            )
        }
    }

    /// The spend of users newly given a limit: what their credit-paid records of the month were charged.
    private static func startSpend(
        of users: [UserPrincipalName],
        in month: CalendarMonth,
        of tenantId: TenantId,
        _ c: PostgresSession
    ) async throws {
        var charged: [String: Int64] = [:]
        for (upn, minor) in try await c.rows(
            """
            SELECT upn, SUM(charge_minor)::BIGINT FROM usage_record
            WHERE tenant_id = \(tenantId.rawValue) AND start_time >= \(month.start.millisecondsSinceEpoch)
                AND start_time < \(month.start.adding(months: 1).millisecondsSinceEpoch) AND upn = ANY(\(users.map(\.rawValue)))
                AND capability = ANY(\(Capability.allCases.filter(\.isCredits).map(\.rawValue)))
            GROUP BY upn
            """,
            as: (String, Int64).self
        ) {
            charged[upn] = minor
        }
        for upn in users.sorted(by: { $0.rawValue < $1.rawValue }) {
            try await c.run(
                """
                INSERT INTO user_spend (tenant_id, month, upn, spent_minor)
                VALUES (\(tenantId.rawValue), \(month.description), \(upn.rawValue), \(charged[upn.rawValue] ?? 0))
                ON CONFLICT (tenant_id, month, upn) DO UPDATE SET spent_minor = excluded.spent_minor
                """
            )
        }
    }

    static func controls(_ tenantId: TenantId, _ c: PostgresSession) async throws -> CallControls {
        let document = try await c.row("SELECT document FROM call_controls WHERE tenant_id = \(tenantId.rawValue)", as: String.self)
        return document.map(StoredValues.controls) ?? .none
    }
}
