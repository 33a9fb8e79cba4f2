public import CreditsCore
public import CreditsStore
import GRDB

extension SQLiteCallStore {
    public func controls(of tenantId: TenantId) async throws -> CallControls {
        try await database.read { db in try Self.controls(tenantId, db) }
    }

    public func changeControls(
        of tenantId: TenantId,
        _ change: @Sendable (inout CallControls) throws -> ControlChange
    ) async throws -> CallControls {
        try await database.write { db in
            let before = try Self.controls(tenantId, db)
            var controls = before
            let line = try change(&controls)
            guard controls != before else { return controls }
            try db.execute(
                sql:
                    "INSERT INTO call_controls (tenant_id, document) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET document = excluded.document",
                arguments: [tenantId.rawValue, StoredValues.json(controls)]
            )
            try db.execute(
                sql: "INSERT INTO control_change (tenant_id, at, actor, subject, before, after) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [tenantId.rawValue, line.at.millisecondsSinceEpoch, line.actor, line.subject, line.before, line.after]
            )
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

    static func controls(_ tenantId: TenantId, _ db: Database) throws -> CallControls {
        let document = try String.fetchOne(
            db.cachedStatement(sql: "SELECT document FROM call_controls WHERE tenant_id = ?"),
            arguments: [tenantId.rawValue]
        )
        return document.map(StoredValues.controls) ?? .none
    }
}
