public import CreditsCore
public import CreditsStore
import Logging
import PostgresNIO

extension PostgresCallStore {
    public func controls(of tenantId: TenantId) async throws -> CallControls {
        let logger = database.logger
        return try await database.read { c in try await Self.controls(tenantId, c, logger) }
    }

    /// Under the tenant's lock, so that two changes at once both count.
    public func changeControls(
        of tenantId: TenantId,
        _ change: @Sendable (inout CallControls) throws -> [ControlChange]
    ) async throws -> CallControls {
        let logger = database.logger
        return try await database.transaction { c in
            _ = try await LedgerRows.lockTenant(tenantId, c, logger)
            let before = try await Self.controls(tenantId, c, logger)
            var controls = before
            let lines = try change(&controls)
            guard controls != before else { return controls }
            try await c.run(
                """
                INSERT INTO call_controls (tenant_id, document) VALUES (\(tenantId.rawValue), \(StoredValues.json(controls)))
                ON CONFLICT (tenant_id) DO UPDATE SET document = excluded.document
                """,
                logger: logger
            )
            for line in lines {
                try await c.run(
                    """
                    INSERT INTO control_change (tenant_id, at, actor, subject, before, after)
                    VALUES (\(tenantId.rawValue), \(line.at.millisecondsSinceEpoch), \(line.actor), \(line.subject), \(line.before), \(line.after))
                    """,
                    logger: logger
                )
            }
            return controls
        }
    }

    public func controlChanges(of tenantId: TenantId, before: Int64?, limit: Int) async throws -> [NumberedControlChange] {
        let logger = database.logger
        return try await database.read { c in
            var changes: [NumberedControlChange] = []
            for try await (id, at, actor, subject, before, after) in try await c.query(
                """
                SELECT id, at, actor, subject, before, after FROM control_change
                WHERE tenant_id = \(tenantId.rawValue) AND id < \(before ?? Int64.max) ORDER BY id DESC LIMIT \(Int64(limit))
                """,
                logger: logger
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

    public func userSpends(of tenantId: TenantId, month: CalendarMonth) async throws -> [UserSpend] {
        let logger = database.logger
        return try await database.read { c in
            try await c.rows(
                """
                SELECT upn, spent_minor, held_minor FROM user_spend WHERE tenant_id = \(tenantId.rawValue) AND month = \(month.description) ORDER BY upn
                """,
                as: (String, Int64, Int64).self,
                logger: logger
            ).map { UserSpend(slot: UserSpend.Slot(upn: UserPrincipalName(stored: $0), month: month), spentMinor: $1, heldMinor: $2) }
        }
    }

    static func spend(_ slot: UserSpend.Slot, of tenantId: TenantId, _ c: PostgresConnection, _ logger: Logger) async throws -> UserSpend {
        let row = try await c.row(
            """
            SELECT spent_minor, held_minor FROM user_spend
            WHERE tenant_id = \(tenantId.rawValue) AND month = \(slot.month.description) AND upn = \(slot.upn.rawValue)
            """,
            as: (Int64, Int64).self,
            logger: logger
        )
        return UserSpend(slot: slot, spentMinor: row?.0 ?? 0, heldMinor: row?.1 ?? 0)
    }

    /// In sign-in name order, as every writer of the tenant does, under its lock.
    static func addSpend(_ changes: [UserSpend], of tenantId: TenantId, _ c: PostgresConnection, _ logger: Logger) async throws {
        for change in changes.sorted(by: { ($0.slot.month, $0.slot.upn.rawValue) < ($1.slot.month, $1.slot.upn.rawValue) }) {
            try await c.run(
                """
                INSERT INTO user_spend (tenant_id, month, upn, spent_minor, held_minor)
                VALUES (\(tenantId.rawValue), \(change.slot.month.description), \(change.slot.upn.rawValue), \(change.spentMinor), \(change.heldMinor))
                ON CONFLICT (tenant_id, month, upn) DO UPDATE SET spent_minor = user_spend.spent_minor + excluded.spent_minor,
                    held_minor = user_spend.held_minor + excluded.held_minor
                """,
                logger: logger
            )
        }
    }

    static func controls(_ tenantId: TenantId, _ c: PostgresConnection, _ logger: Logger) async throws -> CallControls {
        let document = try await c.row("SELECT document FROM call_controls WHERE tenant_id = \(tenantId.rawValue)", as: String.self, logger: logger)
        return document.map(StoredValues.controls) ?? .none
    }
}
