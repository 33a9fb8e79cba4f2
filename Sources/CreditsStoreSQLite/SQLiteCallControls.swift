public import CreditsCore
public import CreditsStore
import GRDB

extension SQLiteCallStore {
    public func controls(of tenantId: TenantId) async throws -> CallControls {
        try await database.read { db in try Self.controls(tenantId, db) }
    }

    public func changeControls(
        of tenantId: TenantId,
        _ change: @Sendable (inout CallControls) throws -> [ControlChange]
    ) async throws -> CallControls {
        try await database.write { db in
            let before = try Self.controls(tenantId, db)
            var controls = before
            let lines = try change(&controls)
            guard controls != before else { return controls }
            try db.execute(
                sql:
                    "INSERT INTO call_controls (tenant_id, document) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET document = excluded.document",
                arguments: [tenantId.rawValue, StoredValues.json(controls)]
            )
            for line in lines {
                try db.execute(
                    sql: "INSERT INTO control_change (tenant_id, at, actor, subject, before, after) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [tenantId.rawValue, line.at.millisecondsSinceEpoch, line.actor, line.subject, line.before, line.after]
                )
            }
            return controls
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

    public func userSpends(of tenantId: TenantId, month: CalendarMonth) async throws -> [UserSpend] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT upn, spent_minor, held_minor FROM user_spend WHERE tenant_id = ? AND month = ? ORDER BY upn",
                arguments: [tenantId.rawValue, month.description]
            ).map { row in
                UserSpend(
                    slot: UserSpend.Slot(upn: UserPrincipalName(stored: row["upn"]), month: month),
                    spentMinor: row["spent_minor"],
                    heldMinor: row["held_minor"]
                )
            }
        }
    }

    static func spend(_ slot: UserSpend.Slot, of tenantId: TenantId, _ db: Database) throws -> UserSpend {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT spent_minor, held_minor FROM user_spend WHERE tenant_id = ? AND month = ? AND upn = ?"),
            arguments: [tenantId.rawValue, slot.month.description, slot.upn.rawValue]
        )
        return UserSpend(slot: slot, spentMinor: row?["spent_minor"] ?? 0, heldMinor: row?["held_minor"] ?? 0)
    }

    static func addSpend(_ changes: [UserSpend], of tenantId: TenantId, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO user_spend (tenant_id, month, upn, spent_minor, held_minor) VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (tenant_id, month, upn) DO UPDATE SET spent_minor = spent_minor + ?4, held_minor = held_minor + ?5
                """
        )
        for change in changes {
            try statement.insert(
                .text(tenantId.rawValue),
                .text(change.slot.month.description),
                .text(change.slot.upn.rawValue),
                .integer(change.spentMinor),
                .integer(change.heldMinor)
            )
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
