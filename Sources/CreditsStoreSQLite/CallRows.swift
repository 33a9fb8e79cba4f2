import CreditsCore
import CreditsStore
import GRDB

/// Reading and writing the rows of calls; every function runs inside the caller's transaction.
enum CallRows {
    // MARK: Rates

    static func rates(_ db: Database, currency: String? = nil) throws -> [(String, Rate)] {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT * FROM rate WHERE ?1 IS NULL OR currency = ?1 ORDER BY currency, prefix, effective_from",
            arguments: [currency]
        )
        return rows.map { row in
            let rate = try! Rate(
                prefix: DialPrefix(row["prefix"]),
                destination: row["destination"],
                numberType: NumberType(rawValue: row["number_type"])!,
                rateMicrosPerMinute: row["rate_micros"],
                connectionFeeMicros: row["fee_micros"],
                firstIncrementSeconds: row["first_increment"],
                nextIncrementSeconds: row["next_increment"],
                effectiveFrom: ISO8601.parse(row["effective_from"])!.civilDateAndTime.date
            )
            return (row["currency"], rate)
        }
    }

    // MARK: Sessions

    static func session(_ id: CallSessionId, of tenant: Tenant, _ db: Database) throws -> CallSession? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM call_session WHERE tenant_id = ? AND session_id = ?"),
                arguments: [tenant.id.rawValue, id.rawValue]
            )
        else { return nil }
        return session(row, tenant: tenant)
    }

    /// Every open session of the tenant, through the index of open sessions.
    static func openSessions(of tenant: Tenant, _ db: Database) throws -> [CallSession] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM call_session INDEXED BY call_session_open WHERE state = 'open' AND tenant_id = ?"),
            arguments: [tenant.id.rawValue]
        ).map { session($0, tenant: tenant) }
    }

    static func session(_ row: Row, tenant: Tenant) -> CallSession {
        let upn: String? = row["upn"]
        let user = upn.map {
            try! User(
                upn: UserPrincipalName(stored: $0),
                displayName: row["display_name"],
                usageLocation: CountryCode(row["usage_location"])!,
                administrativeUnits: Set(StoredValues.names(row["administrative_units"] ?? "[]").map(AdministrativeUnit.init(stored:)))
            )
        }
        let start = CallStart(
            sessionId: CallSessionId(stored: row["session_id"]),
            requestNumber: row["start_request"],
            callType: CallType(rawValue: row["call_type"])!,
            upn: user?.upn,
            caller: try! PhoneNumber(row["caller"]),
            callee: try! PhoneNumber(row["callee"]),
            startTime: Instant(millisecondsSinceEpoch: row["start_time"]),
            callId: row["call_id"]
        )
        let facts = CallFacts(
            callType: start.callType,
            user: user,
            caller: start.caller,
            callee: start.callee,
            rate: StoredValues.rate(row["rate"]),
            tenantCountry: tenant.country
        )
        let pool = (row["pool"] as String?).flatMap(PoolKey.init(stored:)).map { PoolDraw(key: $0, unitsPerSecond: row["pool_units_per_second"]) }
        return CallSession(
            id: start.sessionId,
            start: start,
            facts: facts,
            capability: (row["capability"] as String?).flatMap(Capability.init(rawValue:)),
            pool: pool,
            state: CallSession.State(rawValue: row["state"])!,
            grantedSeconds: row["granted_seconds"],
            usedSeconds: row["used_seconds"],
            heldMinor: row["held_minor"],
            expiresAt: Instant(millisecondsSinceEpoch: row["expires_at"]),
            lastRequestNumber: row["last_request"],
            answeredAt: (row["answered_at"] as Int64?).map(Instant.init(millisecondsSinceEpoch:))
        )
    }

    static func insert(_ session: CallSession, of tenantId: TenantId, _ db: Database) throws {
        try db.cachedStatement(sql: insertSessionSQL).insert(StoredRows.values(of: session, tenant: tenantId))
    }

    private static let insertSessionSQL =
        "INSERT INTO call_session (\(StoredRows.callSessionColumns)) VALUES (\(StoredRows.placeholders(StoredRows.callSessionColumns)))"

    static func update(_ session: CallSession, of tenantId: TenantId, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE call_session SET state = ?, granted_seconds = ?, used_seconds = ?, held_minor = ?, expires_at = ?, last_request = ?,
                    answered_at = ?
                WHERE tenant_id = ? AND session_id = ?
                """
        ).insert(
            .text(session.state.rawValue),
            .integer(session.grantedSeconds),
            .integer(session.usedSeconds),
            .integer(session.heldMinor),
            .integer(session.expiresAt.millisecondsSinceEpoch),
            .integer(session.lastRequestNumber),
            .optional(session.answeredAt?.millisecondsSinceEpoch),
            .text(tenantId.rawValue),
            .text(session.id.rawValue)
        )
    }

    // MARK: Answers

    /// Every kept answer of these sessions.
    static func answers(of sessionIds: [CallSessionId], of tenantId: TenantId, _ db: Database) throws -> [CallAnswerKey: KeptCallAnswer] {
        let statement = try db.cachedStatement(
            sql: "SELECT request_number, fingerprint, answer FROM call_answer WHERE tenant_id = ? AND session_id = ?"
        )
        var answers: [CallAnswerKey: KeptCallAnswer] = [:]
        for sessionId in sessionIds {
            for row in try Row.fetchAll(statement, arguments: [tenantId.rawValue, sessionId.rawValue]) {
                answers[CallAnswerKey(sessionId: sessionId, requestNumber: row[0])] = KeptCallAnswer(
                    fingerprint: row[1],
                    answer: StoredValues.answer(row[2])
                )
            }
        }
        return answers
    }

    static func insertAnswer(
        _ answer: CallAnswer,
        fingerprint: String,
        _ sessionId: CallSessionId,
        _ number: Int64,
        of tenantId: TenantId,
        _ db: Database
    ) throws {
        try db.cachedStatement(sql: "INSERT INTO call_answer (tenant_id, session_id, request_number, fingerprint, answer) VALUES (?, ?, ?, ?, ?)")
            .insert(.text(tenantId.rawValue), .text(sessionId.rawValue), .integer(number), .text(fingerprint), .text(StoredValues.text(answer)))
    }

    // MARK: Pools

    static func pool(_ slot: CallDesk.PoolSlot, of tenantId: TenantId, _ db: Database) throws -> PoolBalance {
        let used =
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT used FROM minute_pool WHERE tenant_id = ? AND month = ? AND pool = ?"),
                arguments: [tenantId.rawValue, slot.month.description, slot.key.description]
            ) ?? 0
        let users =
            try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COUNT(*) FROM tenant_user WHERE tenant_id = ?1 AND (?2 IS NULL OR usage_location = ?2)
                        AND EXISTS (SELECT 1 FROM json_each(licenses) WHERE value IN (SELECT value FROM json_each(?3)))
                        """
                ),
                arguments: [tenantId.rawValue, slot.key.country?.rawValue, StoredValues.json(slot.key.sizingLicenses.map(\.rawValue))]
            ) ?? 0
        return PoolBalance(key: slot.key, month: slot.month, capacity: slot.key.capacity(users: users), used: used)
    }

    static func addPoolUse(_ use: [CallDesk.PoolSlot: Int64], of tenantId: TenantId, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO minute_pool (tenant_id, month, pool, used) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT (tenant_id, month, pool) DO UPDATE SET used = used + ?4
                """
        )
        for (slot, units) in use {
            try statement.insert(.text(tenantId.rawValue), .text(slot.month.description), .text(slot.key.description), .integer(units))
        }
    }

    /// Every pool the tenant's licenses make this month, and any pool already used in it.
    static func pools(of tenantId: TenantId, month: CalendarMonth, _ db: Database) throws -> [PoolBalance] {
        let plans: [Capability] = [.domesticCallingPlan, .domesticCallingPlan120, .domesticCallingPlan240, .domesticAndInternationalCallingPlan]
        var keys = Set(
            try Row.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT usage_location, json_each.value FROM tenant_user, json_each(tenant_user.licenses)
                    WHERE tenant_id = ? AND json_each.value IN (SELECT value FROM json_each(?))
                    """,
                arguments: [tenantId.rawValue, StoredValues.json(plans.map(\.rawValue))]
            ).map { row in
                PoolKey(capability: Capability(rawValue: row[1])!, country: CountryCode(row[0]))
            }
        )
        keys.insert(.conferencing)
        keys.formUnion(
            try String.fetchAll(
                db,
                sql: "SELECT pool FROM minute_pool WHERE tenant_id = ? AND month = ?",
                arguments: [tenantId.rawValue, month.description]
            ).compactMap(PoolKey.init(stored:))
        )
        // The conferencing pool is shown only when someone is licensed for it or it was used.
        return try keys.sorted { $0.description < $1.description }
            .map { try pool(CallDesk.PoolSlot(key: $0, month: month), of: tenantId, db) }
            .filter { $0.capacity > 0 || $0.used > 0 }
    }
}
