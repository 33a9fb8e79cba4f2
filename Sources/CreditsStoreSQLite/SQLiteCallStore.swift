public import CreditsCore
public import CreditsStore
import GRDB

/// Calls in the shared SQLite file. Every request is judged by the tenant's `TenantCalls`, kept
/// in memory (`TenantCallsCache`) while the tenant's version says nobody else wrote it, and its
/// changes are written in one transaction, through the same group commit as the ledger.
public final class SQLiteCallStore: CallStore {
    let database: DatabasePool
    let writer: GroupCommitWriter
    let cache: TenantCallsCache

    init(database: DatabasePool, writer: GroupCommitWriter, cache: TenantCallsCache) {
        self.database = database
        self.writer = writer
        self.cache = cache
    }

    // MARK: Rates

    public func saveRates(_ rates: [Rate], currency: Currency) async throws -> RateDeck {
        try await database.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO rate (currency, prefix, effective_from, destination, number_type, rate_micros, fee_micros,
                        first_increment, next_increment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            for rate in rates {
                try statement.insert(
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
            return try RateDeck(currency: currency, rates: CallRows.rates(db, currency: currency.code).map(\.1))
        }
    }

    public func rateBook() async throws -> RateBook {
        try await database.read { db in
            let byCurrency = Dictionary(grouping: try CallRows.rates(db), by: \.0)
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
    ) async throws -> CallOutcome {
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
        let due = try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT tenant_id, session_id FROM call_session WHERE state = 'open' AND expires_at <= ? ORDER BY tenant_id",
                arguments: [now.millisecondsSinceEpoch]
            ).map { (TenantId($0[0]), CallSessionId(stored: $0[1])) }
        }
        var judgements: [TenantId: RechargePolicy.Judgement?] = [:]
        for (tenant, rows) in Dictionary(grouping: due, by: \.0) {
            let outcome = try await run(.expireSilent(rows.map(\.1)), rates: RateBook(), settings: settings, for: tenant, at: now)
            if case let .expired(_, judgement) = outcome { judgements[tenant] = .some(judgement) }
        }
        return judgements
    }

    public func earliestSilentCallDeadline(by instant: Instant) async throws -> Instant? {
        try await database.read { db in
            try Int64.fetchOne(
                db,
                sql: "SELECT MIN(expires_at) FROM call_session WHERE state = 'open' AND expires_at <= ?",
                arguments: [instant.millisecondsSinceEpoch]
            ).map(Instant.init(millisecondsSinceEpoch:))
        }
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

    /// One command, in a batch with every other call command that waits for the same commit
    /// (`GroupCommitWriter`): per tenant, its state from the cache or the file, each command in
    /// turn with what it lacks looked up, the changes of all written together, the state kept at
    /// the version they left.
    private func run(
        _ command: CallCommand,
        rates: RateBook,
        settings: CallDesk.Settings,
        for tenantId: TenantId,
        at now: Instant
    ) async throws -> CallCommandOutcome {
        try await writer.submit(batching: "calls", Request(tenantId: tenantId, command: command, rates: rates, settings: settings, now: now)) {
            [cache] db, requests in
            try Self.apply(requests, cache: cache, db)
        }
    }

    private struct Request: Sendable {
        let tenantId: TenantId
        let command: CallCommand
        let rates: RateBook
        let settings: CallDesk.Settings
        let now: Instant
    }

    /// The batch's writes are rolled back whole when one throws: the states it kept are dropped
    /// with them (their version alone might come round again).
    private static func apply(_ requests: [Request], cache: TenantCallsCache, _ db: Database) throws -> [Result<CallCommandOutcome, any Error>] {
        var kept: [TenantId] = []
        do {
            return try apply(requests, cache: cache, keeping: &kept, db)
        } catch {
            for tenantId in kept { cache.forget(tenantId) }
            throw error
        }
    }

    private static func apply(
        _ requests: [Request],
        cache: TenantCallsCache,
        keeping kept: inout [TenantId],
        _ db: Database
    ) throws
        -> [Result<CallCommandOutcome, any Error>]
    {
        var outcomes = [Result<CallCommandOutcome, any Error>?](repeating: nil, count: requests.count)
        var ids = try LedgerRows.nextIds(db)
        for (tenantId, indices) in Dictionary(grouping: requests.indices, by: { requests[$0].tenantId }) {
            let first = requests[indices[0]]
            var calls: TenantCalls
            do {
                calls = try Self.calls(of: tenantId, settings: first.settings, cache: cache, at: first.now, db)
            } catch  where error is Refusal || error is LedgerError {
                // An unknown tenant refuses its own requests, not the others of the batch.
                for index in indices { outcomes[index] = .failure(error) }
                continue
            }
            calls.use(ids)
            var tenantOutcomes: [Result<CallCommandOutcome, any Error>] = []
            for request in indices.map({ requests[$0] }) {
                while case let missing = calls.lookups(for: [request.command], rates: request.rates), !missing.isEmpty {
                    try Self.load(missing, into: &calls, db)
                }
                tenantOutcomes.append(calls.apply(request.command, rates: request.rates, at: request.now).mapError { $0 })
            }
            ids = calls.desk.ids
            let now = requests[indices[indices.count - 1]].now
            try Self.write(calls.takeChanges(), of: calls, at: now, db)
            // Auto-recharge is judged in the batch's transaction, after its last charge that calls for it.
            if let last = CallCommandOutcome.judgedOne(of: tenantOutcomes), case let .success(outcome) = tenantOutcomes[last] {
                tenantOutcomes[last] = .success(outcome.judged(try SQLiteBillingStore.judgeRecharge(of: tenantId, at: now, db)))
            }
            for (index, outcome) in zip(indices, tenantOutcomes) { outcomes[index] = outcome }
            cache.keep(calls, for: tenantId, at: try Self.version(of: tenantId, db))
            kept.append(tenantId)
        }
        return outcomes.map { $0! }
    }

    // MARK: Reading

    public func usageRecords(for tenantId: TenantId, from: Instant, to: Instant, after: UsageCursor?, limit: Int) async throws -> [UsageRecord] {
        try await database.read { db in try UsageRows.records(of: tenantId, from: from, to: to, after: after, limit: limit, db) }
    }

    public func charges(
        for tenantId: TenantId,
        from: Instant,
        to: Instant,
        periodMilliseconds: Int64,
        paidBy capabilities: Set<Capability>
    ) async throws
        -> [Instant: Int64]
    {
        try await database.read { db in
            try UsageRows.charges(of: tenantId, from: from, to: to, periodMilliseconds: periodMilliseconds, paidBy: capabilities.map(\.rawValue), db)
        }
    }

    public func usageRecordStartTime(for tenantId: TenantId, from: Instant, to: Instant, skipping: Int) async throws -> Instant? {
        try await database.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT start_time FROM usage_record WHERE tenant_id = ? AND start_time >= ? AND start_time < ? ORDER BY start_time LIMIT 1 OFFSET ?
                    """,
                arguments: [tenantId.rawValue, from.millisecondsSinceEpoch, to.millisecondsSinceEpoch, skipping]
            )
        }.map(Instant.init(millisecondsSinceEpoch:))
    }

    public func refusedCalls(for tenantId: TenantId, from: CivilDate, to: CivilDate) async throws -> [RefusedCalls] {
        try await database.read { db in try UsageRows.refusedCalls(of: tenantId, from: from, to: to, db) }
    }

    public func usageRecordCount(for tenantId: TenantId, from: Instant, to: Instant) async throws -> Int {
        try await database.read { db in try UsageRows.count(of: tenantId, from: from, to: to, db) }
    }

    public func purgeExpiredUsage(at now: Instant) async throws -> Int {
        let tenants = try await database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM tenant").map(SQLiteDirectoryStore.tenant) }
        var purged = 0
        for tenant in tenants {
            let horizon = tenant.usageRetention.horizon(at: now)
            // A read first: a tenant with nothing to purge never takes the write lock.
            while try await database.read({ db in try UsageRows.hasRecord(of: tenant.id, before: horizon, db) }) {
                purged += try await database.write { db in try UsageRows.delete(of: tenant.id, before: horizon, limit: Self.purgeBatch, db) }
            }
        }
        return purged
    }

    /// Records deleted per transaction, so that calls wait for a purge only briefly.
    static let purgeBatch = 5_000

    public func pools(for tenantId: TenantId, month: CalendarMonth) async throws -> [PoolBalance] {
        try await database.read { db in try CallRows.pools(of: tenantId, month: month, db) }
    }

    public func session(_ sessionId: CallSessionId, for tenantId: TenantId) async throws -> CallSession? {
        try await database.read { db in try CallRows.session(sessionId, of: Self.tenant(tenantId, db), db) }
    }

    public func issuePostUsageInvoices(at now: Instant) async throws -> [PostUsageInvoice] {
        try await database.write { db in try UsageRows.issuePostUsageInvoices(at: now, db) }
    }

    public func postUsageInvoices(for tenantId: TenantId) async throws -> [PostUsageInvoice] {
        try await database.read { db in try UsageRows.postUsageInvoices(of: tenantId, db) }
    }

    public var keptTenants: TenantCallsCache.Figures { cache.figures }

    // MARK: Loading and writing a tenant's calls

    /// The kept state when nobody wrote the tenant since, else the state as stored: the tenant,
    /// its account with every open hold, its auto-recharge settings and call controls, its open sessions and their answers.
    private static func calls(
        of tenantId: TenantId,
        settings: CallDesk.Settings,
        cache: TenantCallsCache,
        at now: Instant,
        _ db: Database
    ) throws -> TenantCalls {
        if let kept = cache.take(tenantId, at: try version(of: tenantId, db)), kept.desk.settings == settings { return kept }
        let tenant = try Self.tenant(tenantId, db)
        let open = try CallRows.openSessions(of: tenant, db)
        let controls = try Self.controls(tenantId, db)
        let desk = CallDesk(
            account: try LedgerRows.loadAccount(tenantId, withEveryOpenHold: true, dueBy: now, db),
            ids: try LedgerRows.nextIds(db),
            tenant: tenant,
            autoRecharge: try SQLiteBillingStore.autoRecharge(tenantId, db),
            controls: controls,
            heldByOpenCalls: MonthlySpend.held(byOpenSessions: open),
            recentSpend: controls.velocity.isOn ? try Self.recentSpend(of: tenantId, at: now, db) : SpendMinutes(),
            settings: settings
        )
        return TenantCalls(desk: desk, openSessions: open, answers: try CallRows.answers(of: open.map(\.id), of: tenantId, db))
    }

    static func version(of tenantId: TenantId, _ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM tenant_version WHERE tenant_id = ?"), arguments: [tenantId.rawValue]) ?? 0
    }

    private static func load(_ missing: TenantCalls.Lookups, into calls: inout TenantCalls, _ db: Database) throws {
        let tenant = calls.tenant
        for sessionId in missing.sessions {
            let session = try CallRows.session(sessionId, of: tenant, db)
            calls.know(session: sessionId, session, answers: session == nil ? [:] : try CallRows.answers(of: [sessionId], of: tenant.id, db))
        }
        if missing.usageIds.count == 1, let usageId = missing.usageIds.first {
            calls.know(
                record: usageId,
                try UsageRows.record(usageId, of: tenant.id, db).map { KeptUsageRecord(fingerprint: $0.fingerprint, record: $0.record) }
            )
        } else if !missing.usageIds.isEmpty {
            let found = try UsageRows.records(missing.usageIds, of: tenant.id, db)
            for usageId in missing.usageIds {
                calls.know(record: usageId, found[usageId].map { KeptUsageRecord(fingerprint: $0.fingerprint, record: $0.record) })
            }
        }
        for upn in missing.users { calls.know(user: upn, try user(upn, tenant.id, db)) }
        if !missing.holds.isEmpty {
            calls.know(
                try missing.holds.flatMap {
                    try LedgerRows.holds(db, where: "tenant_id = ? AND hold_id = ?", arguments: [tenant.id.rawValue, $0.rawValue])
                }
            )
        }
        if !missing.lots.isEmpty {
            calls.know(
                lots: try missing.lots.flatMap {
                    try LedgerRows.lots(db, where: "tenant_id = ? AND id = ?", arguments: [tenant.id.rawValue, $0.rawValue])
                }
            )
        }
        for slot in missing.pools { calls.know(try CallRows.pool(slot, of: tenant.id, db)) }
        for slot in missing.spends { calls.know(spent: slot, try Self.spent(slot, of: tenant.id, db)) }
    }

    private static func write(_ changes: TenantCalls.Changes, of calls: TenantCalls, at now: Instant, _ db: Database) throws {
        let tenantId = calls.tenant.id
        for session in changes.newSessions { try CallRows.insert(session, of: tenantId, db) }
        for session in changes.changedSessions { try CallRows.update(session, of: tenantId, db) }
        for (key, kept) in changes.answers {
            try CallRows.insertAnswer(kept.answer, fingerprint: kept.fingerprint, key.sessionId, key.requestNumber, of: tenantId, db)
        }
        for usageId in changes.desk.replacedRecords { try UsageRows.delete(usageId, of: tenantId, db) }
        for kept in changes.records { try UsageRows.insert(kept.record, fingerprint: kept.fingerprint, of: tenantId, db) }
        try LedgerRows.write(changes.desk.ledger, of: calls.desk.account, autoRecharge: calls.desk.autoRecharge, db)
        try CallRows.addPoolUse(changes.desk.poolUse, of: tenantId, db)
        try Self.addSpend(changes.desk.spendChanges, of: tenantId, db)
        try UsageRows.addRefusedCalls(changes.refusedCalls, of: tenantId, db)
        try Self.writeSpendMinutes(changes.desk, of: tenantId, db)
        if let controls = changes.desk.controls { try Self.write(controls, changes.desk.controlLines, of: tenantId, db) }
        for event in changes.desk.events {
            try NotificationRows.note(event, of: tenantId, currency: calls.tenant.currency, balanceMinor: changes.balanceMinor, at: now, db)
        }
    }

    private static func tenant(_ tenantId: TenantId, _ db: Database) throws -> Tenant {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tenant WHERE id = ?"), arguments: [tenantId.rawValue]) else {
            throw Refusal.unknownTenant(tenantId)
        }
        return SQLiteDirectoryStore.tenant(row)
    }

    private static func user(_ upn: UserPrincipalName, _ tenantId: TenantId, _ db: Database) throws -> User? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM tenant_user WHERE tenant_id = ? AND upn = ?"),
            arguments: [tenantId.rawValue, upn.rawValue]
        ).map(SQLiteDirectoryStore.user)
    }
}
