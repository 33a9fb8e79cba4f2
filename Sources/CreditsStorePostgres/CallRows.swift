import CreditsCore
import CreditsStore
import Logging
import PostgresNIO

/// Rates, call sessions and their answers, and minute pools as rows; every function runs inside
/// the caller's transaction.
enum CallRows {
    // MARK: Rates

    static func rates(_ c: PostgresSession, currency: String? = nil) async throws -> [(String, Rate)] {
        try await c.rows(
            """
            SELECT currency, prefix, effective_from, destination, number_type, rate_micros, fee_micros, first_increment, next_increment FROM rate
            WHERE \(currency)::text IS NULL OR currency = \(currency) ORDER BY currency, prefix, effective_from
            """,
            as: (String, String, String, String, String, Int64, Int64, Int64, Int64).self
        ).map { r in
            (
                r.0,
                try Rate(
                    prefix: DialPrefix(r.1),
                    destination: r.3,
                    numberType: NumberType(rawValue: r.4)!,
                    rateMicrosPerMinute: r.5,
                    connectionFeeMicros: r.6,
                    firstIncrementSeconds: r.7,
                    nextIncrementSeconds: r.8,
                    effectiveFrom: ISO8601.parse(r.2)!.civilDateAndTime.date
                )
            )
        }
    }

    // MARK: Sessions

    private static let sessionColumns = """
        session_id, start_request, call_type, upn, display_name, usage_location, caller, callee, start_time, rate, capability, pool,
        pool_units_per_second, state, granted_seconds, used_seconds, held_minor, expires_at, last_request, answered_at, call_id,
        administrative_units
        """

    static func session(_ id: CallSessionId, of tenant: Tenant, _ c: PostgresSession) async throws -> CallSession? {
        try await c.records(
            """
            SELECT \(unescaped: sessionColumns) FROM call_session WHERE tenant_id = \(tenant.id.rawValue) AND session_id = \(id.rawValue)
            """
        ) { try session($0, tenant: tenant) }.first
    }

    static func sessions(_ ids: [CallSessionId], of tenant: Tenant, _ c: PostgresSession) async throws -> [CallSession] {
        try await c.records(
            """
            SELECT \(unescaped: sessionColumns) FROM call_session WHERE tenant_id = \(tenant.id.rawValue) AND session_id = ANY(\(ids.map(\.rawValue)))
            ORDER BY session_id
            """
        ) { try session($0, tenant: tenant) }
    }

    private static func session(_ row: PostgresRow, tenant: Tenant) throws -> CallSession {
        let r = try row.decode(
            (
                String, Int64, String, String?, String?, String?, String, String, Int64, String?, String?, String?,
                Int64, String, Int64, Int64, Int64, Int64, Int64, Int64?, String?, String?
            ).self
        )
        let user = try r.3.map {
            try User(
                upn: UserPrincipalName(stored: $0),
                displayName: r.4!,
                usageLocation: CountryCode(r.5!)!,
                administrativeUnits: Set(StoredValues.names(r.21 ?? "[]").map(AdministrativeUnit.init(stored:)))
            )
        }
        let start = CallStart(
            sessionId: CallSessionId(stored: r.0),
            requestNumber: r.1,
            callType: CallType(rawValue: r.2)!,
            upn: user?.upn,
            caller: try PhoneNumber(r.6),
            callee: try PhoneNumber(r.7),
            startTime: LedgerRows.instant(r.8),
            callId: r.20
        )
        let facts = CallFacts(
            callType: start.callType,
            user: user,
            caller: start.caller,
            callee: start.callee,
            rate: StoredValues.rate(r.9),
            tenantCountry: tenant.country
        )
        let pool = r.11.flatMap(PoolKey.init(stored:)).map { PoolDraw(key: $0, unitsPerSecond: r.12) }
        return CallSession(
            id: start.sessionId,
            start: start,
            facts: facts,
            capability: r.10.flatMap(Capability.init(rawValue:)),
            pool: pool,
            state: CallSession.State(rawValue: r.13)!,
            grantedSeconds: r.14,
            usedSeconds: r.15,
            heldMinor: r.16,
            expiresAt: LedgerRows.instant(r.17),
            lastRequestNumber: r.18,
            answeredAt: r.19.map(LedgerRows.instant)
        )
    }

    /// New sessions, in one statement.
    static func insert(_ sessions: [CallSession], of tenantId: TenantId, _ c: PostgresSession) async throws {
        guard !sessions.isEmpty else { return }
        var insert = RowsInsert(
            "INSERT INTO call_session (\(StoredRows.callSessionColumns)) VALUES",
            columns: StoredRows.count(StoredRows.callSessionColumns)
        )
        for session in sessions { insert.add(StoredRows.values(of: session, tenant: tenantId)) }
        try await insert.run(on: c)
    }

    /// What changed of these sessions, in one statement.
    static func update(_ sessions: [CallSession], of tenantId: TenantId, _ c: PostgresSession) async throws {
        guard !sessions.isEmpty else { return }
        try await c.run(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE call_session AS s SET state = v.state, granted_seconds = v.granted, used_seconds = v.used, held_minor = v.held,
                        expires_at = v.expires, last_request = v.last, answered_at = NULLIF(v.answered, -1)
                    FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
                        AS v(session_id, state, granted, used, held, expires, last, answered)
                    WHERE s.tenant_id = $1 AND s.session_id = v.session_id
                    """,
                binds: binds(
                    tenantId.rawValue,
                    sessions.map(\.id.rawValue),
                    sessions.map(\.state.rawValue),
                    sessions.map(\.grantedSeconds),
                    sessions.map(\.usedSeconds),
                    sessions.map(\.heldMinor),
                    sessions.map(\.expiresAt.millisecondsSinceEpoch),
                    sessions.map(\.lastRequestNumber),
                    // An array binds no nulls: -1 stands for a session not answered.
                    sessions.map { $0.answeredAt?.millisecondsSinceEpoch ?? -1 }
                )
            )
        )
    }

    // MARK: Answers

    /// Every kept answer of these sessions.
    static func answers(
        of sessionIds: [CallSessionId],
        of tenantId: TenantId,
        _ c: PostgresSession
    ) async throws
        -> [CallAnswerKey: KeptCallAnswer]
    {
        guard !sessionIds.isEmpty else { return [:] }
        let rows = try await c.rows(
            """
            SELECT session_id, request_number, fingerprint, answer FROM call_answer
            WHERE tenant_id = \(tenantId.rawValue) AND session_id = ANY(\(sessionIds.map(\.rawValue)))
            """,
            as: (String, Int64, String, String).self
        )
        var answers: [CallAnswerKey: KeptCallAnswer] = [:]
        for row in rows {
            answers[CallAnswerKey(sessionId: CallSessionId(stored: row.0), requestNumber: row.1)] = KeptCallAnswer(
                fingerprint: row.2,
                answer: StoredValues.answer(row.3)
            )
        }
        return answers
    }

    /// Answers to keep, in one statement.
    static func insert(
        _ answers: [(key: CallAnswerKey, kept: KeptCallAnswer)],
        of tenantId: TenantId,
        _ c: PostgresSession
    ) async throws {
        guard !answers.isEmpty else { return }
        var insert = RowsInsert("INSERT INTO call_answer (tenant_id, session_id, request_number, fingerprint, answer) VALUES", columns: 5)
        for (key, kept) in answers {
            insert.add(
                .text(tenantId.rawValue),
                .text(key.sessionId.rawValue),
                .integer(key.requestNumber),
                .text(kept.fingerprint),
                .text(StoredValues.text(kept.answer))
            )
        }
        try await insert.run(on: c)
    }

    // MARK: Pools

    static func pool(_ slot: CallDesk.PoolSlot, of tenantId: TenantId, _ c: PostgresSession) async throws -> PoolBalance {
        let used =
            try await c.row(
                """
                SELECT used FROM minute_pool WHERE tenant_id = \(tenantId.rawValue) AND month = \(slot.month.description) AND pool = \(slot.key.description)
                """,
                as: Int64.self
            ) ?? Int64(0)
        // Licenses are a sorted JSON array of quoted names: a quoted name found in it is held.
        let licenses = slot.key.sizingLicenses.map { "%\"\($0.rawValue)\"%" }
        var users: Int64 = 0
        if !licenses.isEmpty {
            users =
                try await c.row(
                    """
                    SELECT COUNT(*) FROM tenant_user WHERE tenant_id = \(tenantId.rawValue)
                    AND (\(slot.key.country?.rawValue)::text IS NULL OR usage_location = \(slot.key.country?.rawValue)) AND licenses LIKE ANY(\(licenses))
                    """,
                    as: Int64.self
                ) ?? Int64(0)
        }
        return PoolBalance(key: slot.key, month: slot.month, capacity: slot.key.capacity(users: Int(users)), used: used)
    }

    /// In day and reason order, under the tenant's lock.
    static func addRefusedCalls(_ counts: [RefusedCalls], of tenantId: TenantId, _ c: PostgresSession) async throws {
        for count in counts.sorted(by: { ($0.day, $0.reason.rawValue) < ($1.day, $1.reason.rawValue) }) {
            try await c.run(
                """
                INSERT INTO refused_call (tenant_id, day, reason, calls)
                VALUES (\(tenantId.rawValue), \(ISO8601.formatDate(count.day)), \(count.reason.rawValue), \(count.calls))
                ON CONFLICT (tenant_id, day, reason) DO UPDATE SET calls = refused_call.calls + excluded.calls
                """
            )
        }
    }

    static func addPoolUse(_ use: [CallDesk.PoolSlot: Int64], of tenantId: TenantId, _ c: PostgresSession) async throws {
        for (slot, units) in use.sorted(by: { $0.key.key.description < $1.key.key.description }) {
            try await c.run(
                """
                INSERT INTO minute_pool (tenant_id, month, pool, used) VALUES (\(tenantId.rawValue), \(slot.month.description), \(slot.key.description), \(units))
                ON CONFLICT (tenant_id, month, pool) DO UPDATE SET used = minute_pool.used + excluded.used
                """
            )
        }
    }

    /// Every pool the tenant's licenses make this month, and any pool already used in it.
    static func pools(of tenantId: TenantId, month: CalendarMonth, _ c: PostgresSession) async throws -> [PoolBalance] {
        let plans: [Capability] = [.domesticCallingPlan, .domesticCallingPlan120, .domesticCallingPlan240, .domesticAndInternationalCallingPlan]
        var keys: Set<PoolKey> = [.conferencing]
        for plan in plans {
            for location in try await c.rows(
                """
                SELECT DISTINCT usage_location FROM tenant_user WHERE tenant_id = \(tenantId.rawValue) AND licenses LIKE \("%\"\(plan.rawValue)\"%")
                """,
                as: String.self
            ) {
                keys.insert(PoolKey(capability: plan, country: CountryCode(location)))
            }
        }
        keys.formUnion(
            try await c.rows(
                "SELECT pool FROM minute_pool WHERE tenant_id = \(tenantId.rawValue) AND month = \(month.description)",
                as: String.self
            ).compactMap(PoolKey.init(stored:))
        )
        var balances: [PoolBalance] = []
        // The conferencing pool is shown only when someone is licensed for it or it was used.
        for key in keys.sorted(by: { $0.description < $1.description }) {
            let balance = try await pool(CallDesk.PoolSlot(key: key, month: month), of: tenantId, c)
            if balance.capacity > 0 || balance.used > 0 { balances.append(balance) }
        }
        return balances
    }
}
