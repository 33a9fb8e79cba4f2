public import CreditsCore
public import CreditsStore
import Logging
import PostgresNIO

/// Calls in PostgreSQL. Every batch of requests takes the tenant's lock (`LedgerRows.lockTenant`),
/// is judged by `TenantCalls` and writes the result in one transaction: two instances charging
/// one tenant take turns, so a pool minute or a unit of credit is never spent twice. The state
/// stays in memory (`TenantCallsCache`) while the tenant's version, read under the lock, says
/// nobody else wrote it. Requests for one tenant that arrive together share a commit (`TenantCommits`).
public final class PostgresCallStore: CallStore {
    let database: PostgresDatabase
    let cache: TenantCallsCache

    init(database: PostgresDatabase, cache: TenantCallsCache) {
        self.database = database
        self.cache = cache
    }

    // MARK: Rates

    public func saveRates(_ rates: [Rate], currency: Currency) async throws -> RateDeck {
        try await database.transaction { c in
            var insert = RowsInsert(
                """
                INSERT INTO rate (currency, prefix, effective_from, destination, number_type, rate_micros, fee_micros, first_increment, next_increment) VALUES
                """,
                columns: 9,
                tail: """
                    ON CONFLICT (currency, prefix, effective_from) DO UPDATE SET destination = excluded.destination, number_type = excluded.number_type,
                        rate_micros = excluded.rate_micros, fee_micros = excluded.fee_micros, first_increment = excluded.first_increment,
                        next_increment = excluded.next_increment
                    """
            )
            // A deck may name a prefix and date twice; as in SQLite, the later line stands.
            var latest: [String: Rate] = [:]
            for rate in rates { latest[rate.prefix.description + " " + ISO8601.formatDate(rate.effectiveFrom)] = rate }
            for rate in latest.values {
                insert.add(
                    .text(currency.code),
                    .text(rate.prefix.description),
                    .text(ISO8601.formatDate(rate.effectiveFrom)),
                    .text(rate.destination),
                    .text(rate.numberType.rawValue),
                    .integer(rate.rateMicrosPerMinute),
                    .integer(rate.connectionFeeMicros),
                    .integer(rate.firstIncrementSeconds),
                    .integer(rate.nextIncrementSeconds)
                )
            }
            try await insert.run(on: c)
            return try RateDeck(currency: currency, rates: try await CallRows.rates(c, currency: currency.code).map(\.1))
        }
    }

    public func rateBook() async throws -> RateBook {
        try await database.read { c in
            let byCurrency = Dictionary(grouping: try await CallRows.rates(c), by: \.0)
            return RateBook(try byCurrency.map { code, rates in try RateDeck(currency: Currency(code: code)!, rates: rates.map(\.1)) })
        }
    }

    // MARK: Real time

    public func startCall(
        _ request: CallStart,
        rates: RateBook,
        settings: CallDesk.Settings,
        for tenantId: TenantId,
        at now: Instant
    ) async throws
        -> CallOutcome
    {
        try await run(.start(request), rates: rates, settings: settings, for: tenantId, at: now).callOutcome
    }

    public func continueCall(
        _ sessionId: CallSessionId,
        requestNumber: Int64,
        step: CallStep,
        settings: CallDesk.Settings,
        for tenantId: TenantId,
        at now: Instant
    ) async throws -> CallOutcome {
        try await run(.step(sessionId, requestNumber: requestNumber, step), rates: RateBook(), settings: settings, for: tenantId, at: now).callOutcome
    }

    public func expireSilentCalls(settings: CallDesk.Settings, at now: Instant) async throws -> [TenantId: RechargePolicy.Judgement?] {
        let due = try await database.read { c in
            try await c.rows(
                """
                SELECT tenant_id, session_id FROM call_session WHERE state = 'open' AND expires_at <= \(now.millisecondsSinceEpoch) ORDER BY tenant_id
                """,
                as: (String, String).self
            )
        }
        var judgements: [TenantId: RechargePolicy.Judgement?] = [:]
        for (tenant, rows) in Dictionary(grouping: due, by: \.0) {
            let tenantId = TenantId(tenant)
            let command = CallCommand.expireSilent(rows.map { CallSessionId(stored: $0.1) })
            if case let .expired(_, judgement) = try await run(command, rates: RateBook(), settings: settings, for: tenantId, at: now) {
                judgements[tenantId] = .some(judgement)
            }
        }
        return judgements
    }

    public func earliestSilentCallDeadline(by instant: Instant) async throws -> Instant? {
        let found = try await database.read { c in
            try await c.row(
                "SELECT MIN(expires_at) FROM call_session WHERE state = 'open' AND expires_at <= \(instant.millisecondsSinceEpoch)",
                as: Int64?.self
            )
        }
        return (found ?? nil).map(Instant.init(millisecondsSinceEpoch:))
    }

    // MARK: After the fact

    public func recordUsage(
        _ uploads: [UsageUpload],
        rates: RateBook,
        settings: CallDesk.Settings,
        for tenantId: TenantId,
        at now: Instant
    ) async throws -> UsageBatchOutcome {
        try LedgerLimits.checkBatchSize(uploads.count)
        return try await run(.upload(uploads), rates: rates, settings: settings, for: tenantId, at: now).usageOutcome
    }

    /// One command, in a batch with the tenant's other call commands that wait for the same
    /// commit (`TenantCommits`), in one transaction under the tenant's lock: the state kept or
    /// as stored, each command in turn with what it lacks looked up, ledger numbers reserved
    /// from the sequences, the changes of all written together, the state kept at the version
    /// they left.
    private func run(
        _ command: CallCommand,
        rates: RateBook,
        settings: CallDesk.Settings,
        for tenantId: TenantId,
        at now: Instant
    ) async throws -> CallCommandOutcome {
        let request = Request(command: command, rates: rates, settings: settings, now: now)
        // A batch that did not commit may have kept the state it wrote: it is dropped.
        return try await database.tenantCommits.submit(
            for: tenantId.rawValue,
            batching: "calls",
            request,
            rolledBack: { [cache] in cache.forget(tenantId) },
            { [cache] c, requests in try await Self.apply(requests, for: tenantId, cache: cache, c) }
        )
    }

    private struct Request: Sendable {
        let command: CallCommand
        let rates: RateBook
        let settings: CallDesk.Settings
        let now: Instant
    }

    private static func apply(
        _ requests: [Request],
        for tenantId: TenantId,
        cache: TenantCallsCache,
        _ c: PostgresSession
    ) async throws -> [Result<CallCommandOutcome, any Error>] {
        let first = requests[0]
        guard let version = try await LedgerRows.lockTenant(tenantId, c) else {
            return requests.map { _ in .failure(Refusal.unknownTenant(tenantId)) }
        }
        var loaded: TenantCalls
        if let kept = cache.take(tenantId, at: version), kept.desk.settings == first.settings {
            loaded = kept
        } else {
            loaded = try await Self.calls(of: tenantId, settings: first.settings, at: first.now, c)
        }
        // What the whole batch names, in a few queries rather than a few per command.
        let commands = requests.map(\.command)
        while case let missing = loaded.lookups(for: commands, rates: first.rates), !missing.isEmpty {
            try await Self.load(missing, into: &loaded, c)
        }
        let estimate = requests.reduce((lots: 0, transactions: 0)) { sum, request in
            let one = Self.estimate(request.command)
            return (sum.lots + one.lots, sum.transactions + one.transactions)
        }
        let (outcomes, applied) = try await LedgerRows.withReservedIds(estimate: estimate, c) { ids in
            var calls = loaded
            calls.use(ids)
            var outcomes: [Result<CallCommandOutcome, any Error>] = []
            for request in requests {
                while case let missing = calls.lookups(for: [request.command], rates: request.rates), !missing.isEmpty {
                    try await Self.load(missing, into: &calls, c)
                }
                outcomes.append(calls.apply(request.command, rates: request.rates, at: request.now).mapError { $0 })
            }
            return ((outcomes, calls), calls.desk.ids)
        }
        var written = applied
        let now = requests[requests.count - 1].now
        try await Self.write(written.takeChanges(), of: written, at: now, c)
        var judged = outcomes
        // Auto-recharge is judged in the batch's transaction, after its last charge that calls for it.
        if let last = CallCommandOutcome.judgedOne(of: judged), case let .success(outcome) = judged[last] {
            judged[last] = .success(outcome.judged(try await PostgresBillingStore.judgeRecharge(of: tenantId, at: now, c)))
        }
        cache.keep(written, for: tenantId, at: try await LedgerRows.version(of: tenantId, c))
        return judged
    }

    /// The tenant's state as stored: the tenant, its account with every open hold (under the
    /// tenant's lock), its auto-recharge settings and call controls; sessions, users and pools as commands name them.
    private static func calls(
        of tenantId: TenantId,
        settings: CallDesk.Settings,
        at now: Instant,
        _ c: PostgresSession
    ) async throws -> TenantCalls {
        let tenant = try await Self.tenant(tenantId, c)
        let account = try await LedgerRows.loadAccount(tenantId, naming: [], withEveryOpenHold: true, dueBy: now, c)
        let controls = try await Self.controls(tenantId, c)
        // Only the holds of users with a limit count; most tenants have none.
        let held = controls.userSpendLimits.isEmpty && controls.unitSpendLimits.isEmpty ? [] : try await Self.openHolds(of: tenantId, c)
        return TenantCalls(
            desk: CallDesk(
                account: account,
                ids: LedgerIdAllocator(reservedLotIds: [], reservedTransactionIds: []),
                tenant: tenant,
                autoRecharge: try await BillingRows.autoRecharge(tenantId, c),
                controls: controls,
                heldByOpenCalls: MonthlySpend.held(byOpenCalls: held),
                recentSpend: controls.velocity.isOn ? try await Self.recentSpend(of: tenantId, at: now, c) : SpendMinutes(),
                settings: settings
            )
        )
    }

    /// Ledger numbers a command is likely to take: a reserve, an extension, a post or an upload's charge.
    private static func estimate(_ command: CallCommand) -> (lots: Int, transactions: Int) {
        if case let .expireSilent(sessions) = command { return (0, sessions.count) }
        return (0, 1)
    }

    // MARK: Reading

    public func usageRecords(for tenantId: TenantId, from: Instant, to: Instant, after: UsageCursor?, limit: Int) async throws -> [UsageRecord] {
        try await database.read { c in try await UsageRows.records(of: tenantId, from: from, to: to, after: after, limit: limit, c) }
    }

    public func charges(
        for tenantId: TenantId,
        from: Instant,
        to: Instant,
        periodMilliseconds: Int64,
        paidBy capabilities: Set<Capability>
    ) async throws -> [Instant: Int64] {
        try await database.read { c in
            try await UsageRows.charges(
                of: tenantId,
                from: from,
                to: to,
                periodMilliseconds: periodMilliseconds,
                paidBy: capabilities.map(\.rawValue),
                c
            )
        }
    }

    public func usageRecordStartTime(for tenantId: TenantId, from: Instant, to: Instant, skipping: Int) async throws -> Instant? {
        try await database.read { c in
            try await c.row(
                """
                SELECT start_time FROM usage_record WHERE tenant_id = \(tenantId.rawValue) AND start_time >= \(from.millisecondsSinceEpoch)
                AND start_time < \(to.millisecondsSinceEpoch) ORDER BY start_time LIMIT 1 OFFSET \(Int64(skipping))
                """,
                as: Int64.self
            )
        }.map(LedgerRows.instant)
    }

    public func refusedCalls(for tenantId: TenantId, from: CivilDate, to: CivilDate) async throws -> [RefusedCalls] {
        try await database.read { c in
            try await c.rows(
                """
                SELECT day, reason, calls FROM refused_call
                WHERE tenant_id = \(tenantId.rawValue) AND day >= \(ISO8601.formatDate(from)) AND day <= \(ISO8601.formatDate(to)) ORDER BY day, reason
                """,
                as: (String, String, Int64).self
            ).compactMap { day, reason, calls in
                // A reason a later version no longer knows is left out rather than misread.
                CallRefusal(rawValue: reason).map {
                    RefusedCalls(day: ISO8601.parse(day + "T00:00:00Z")!.civilDateAndTime.date, reason: $0, calls: calls)
                }
            }
        }
    }

    public func usageRecordCount(for tenantId: TenantId, from: Instant, to: Instant) async throws -> Int {
        try await database.read { c in
            let count = try await c.row(
                """
                SELECT COUNT(*) FROM usage_record WHERE tenant_id = \(tenantId.rawValue) AND start_time >= \(from.millisecondsSinceEpoch)
                AND start_time < \(to.millisecondsSinceEpoch)
                """,
                as: Int64.self
            )
            return Int(count ?? 0)
        }
    }

    public func purgeExpiredUsage(at now: Instant) async throws -> Int {
        let tenants = try await database.read { c in
            try await c.records("SELECT \(unescaped: DirectoryRows.tenantColumns) FROM tenant", DirectoryRows.tenant)
        }
        var purged = 0
        for tenant in tenants {
            let horizon = tenant.usageRetention.horizon(at: now).millisecondsSinceEpoch
            while true {
                let deleted = try await database.transaction { c in
                    try await c.run(
                        """
                        DELETE FROM usage_record WHERE tenant_id = \(tenant.id.rawValue) AND usage_id IN
                            (SELECT usage_id FROM usage_record WHERE tenant_id = \(tenant.id.rawValue) AND start_time < \(horizon) LIMIT \(Int64(Self.purgeBatch)))
                        RETURNING usage_id
                        """
                    )
                }
                purged += deleted
                if deleted < Self.purgeBatch { break }
            }
        }
        return purged
    }

    /// Records deleted per transaction, so that calls wait for a purge only briefly.
    static let purgeBatch = 5_000

    public func pools(for tenantId: TenantId, month: CalendarMonth) async throws -> [PoolBalance] {
        try await database.read { c in try await CallRows.pools(of: tenantId, month: month, c) }
    }

    public func session(_ sessionId: CallSessionId, for tenantId: TenantId) async throws -> CallSession? {
        try await database.read { c in try await CallRows.session(sessionId, of: Self.tenant(tenantId, c), c) }
    }

    public func issuePostUsageInvoices(at now: Instant) async throws -> [PostUsageInvoice] {
        try await database.transaction { c in try await UsageRows.issuePostUsageInvoices(at: now, c) }
    }

    public func postUsageInvoices(for tenantId: TenantId) async throws -> [PostUsageInvoice] {
        try await database.read { c in try await UsageRows.postUsageInvoices(of: tenantId, c) }
    }

    public var keptTenants: TenantCallsCache.Figures { cache.figures }

    // MARK: Loading and writing a tenant's calls

    private static func load(_ missing: TenantCalls.Lookups, into calls: inout TenantCalls, _ c: PostgresSession) async throws {
        let tenant = calls.tenant
        if !missing.sessions.isEmpty {
            let found = try await CallRows.sessions(Array(missing.sessions), of: tenant, c)
            let answers = try await CallRows.answers(of: found.map(\.id), of: tenant.id, c)
            let byId = Dictionary(uniqueKeysWithValues: found.map { ($0.id, $0) })
            for sessionId in missing.sessions { calls.know(session: sessionId, byId[sessionId], answers: answers) }
        }
        if !missing.usageIds.isEmpty {
            let found = try await UsageRows.records(Array(missing.usageIds), of: tenant.id, c)
            for usageId in missing.usageIds {
                calls.know(record: usageId, found[usageId].map { KeptUsageRecord(fingerprint: $0.fingerprint, record: $0.record) })
            }
        }
        for upn in missing.users { calls.know(user: upn, try await DirectoryRows.user(upn, in: tenant.id, c)) }
        if !missing.holds.isEmpty {
            calls.know(
                try await LedgerRows.holds(
                    c,
                    where: "tenant_id = $1 AND hold_id = ANY($2)",
                    tenant.id.rawValue,
                    missing.holds.map(\.rawValue)
                )
            )
        }
        if !missing.lots.isEmpty {
            calls.know(
                lots: try await LedgerRows.lots(c, where: "tenant_id = $1 AND id = ANY($2)", tenant.id.rawValue, missing.lots.map(\.rawValue))
            )
        }
        for slot in missing.pools { calls.know(try await CallRows.pool(slot, of: tenant.id, c)) }
        for slot in missing.spends { calls.know(spent: slot, try await Self.spent(slot, of: tenant.id, c)) }
    }

    private static func write(
        _ changes: TenantCalls.Changes,
        of calls: TenantCalls,
        at now: Instant,
        _ c: PostgresSession
    ) async throws {
        let tenantId = calls.tenant.id
        try await CallRows.insert(changes.newSessions, of: tenantId, c)
        try await CallRows.update(changes.changedSessions, of: tenantId, c)
        try await CallRows.insert(changes.answers, of: tenantId, c)
        try await UsageRows.delete(changes.desk.replacedRecords, of: tenantId, c)
        try await UsageRows.insert(changes.records.map { ($0.record, $0.fingerprint) }, of: tenantId, c)
        try await LedgerRows.write(changes.desk.ledger, of: calls.desk.account, autoRecharge: calls.desk.autoRecharge, c)
        try await CallRows.addPoolUse(changes.desk.poolUse, of: tenantId, c)
        try await Self.addSpend(changes.desk.spendChanges, of: tenantId, c)
        try await CallRows.addRefusedCalls(changes.refusedCalls, of: tenantId, c)
        try await Self.writeSpendMinutes(changes.desk, of: tenantId, c)
        if let controls = changes.desk.controls { try await Self.write(controls, changes.desk.controlLines, of: tenantId, c) }
        for event in changes.desk.events {
            try await NotificationRows.note(
                event,
                of: tenantId,
                currency: calls.tenant.currency,
                balanceMinor: changes.balanceMinor,
                at: now,
                c
            )
        }
    }

    private static func tenant(_ tenantId: TenantId, _ c: PostgresSession) async throws -> Tenant {
        guard let tenant = try await DirectoryRows.tenant(tenantId, c) else { throw Refusal.unknownTenant(tenantId) }
        return tenant
    }
}
