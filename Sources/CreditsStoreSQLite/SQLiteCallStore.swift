public import CreditsCore
public import CreditsStore
import GRDB

/// Calls in the shared SQLite file. Every request loads what `CallDesk` needs (the tenant, its
/// credits account, the session, the pools), runs it and writes the result in one transaction,
/// through the same group commit as the ledger.
public final class SQLiteCallStore: CallStore {
    let database: DatabasePool
    let writer: GroupCommitWriter

    init(database: DatabasePool, writer: GroupCommitWriter) {
        self.database = database
        self.writer = writer
    }

    // MARK: Rates

    public func saveRates(_ rates: [Rate], currency: Currency) async throws -> RateDeck {
        try await database.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO rate (currency, prefix, effective_from, destination, number_type, rate_micros, fee_micros,
                    first_increment, next_increment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for rate in rates {
                try statement.insert(.text(currency.code), .text(rate.prefix.description), .text(ISO8601.formatDate(rate.effectiveFrom)),
                                     .text(rate.destination), .text(rate.numberType.rawValue), .integer(rate.rateMicrosPerMinute),
                                     .integer(rate.connectionFeeMicros), .integer(rate.firstIncrementSeconds), .integer(rate.nextIncrementSeconds))
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

    public func startCall(_ request: CallStart, rates: RateBook, settings: CallDesk.Settings, for tenantId: TenantId, at now: Instant) async throws -> CallOutcome {
        try await writer.submit { db in
            if let repeated = try Self.repeatedAnswer(request.sessionId, request.requestNumber, request.fingerprint, tenantId, db) { return repeated }
            let tenant = try Self.tenant(tenantId, db)
            guard try CallRows.session(request.sessionId, of: tenant, db) == nil else { throw BillingError.sessionExists(request.sessionId) }
            let facts = Self.facts(callType: request.callType, user: try request.upn.flatMap { try Self.user($0, tenantId, db) },
                                   caller: request.caller, callee: request.callee, startTime: request.startTime, tenant: tenant, rates: rates)
            var desk = try Self.desk(for: tenant, holds: [], settings: settings, at: now, db)
            try Self.loadPools(for: facts, startTime: request.startTime, into: &desk, tenantId, db)
            let (session, answer) = desk.start(request, facts: facts, at: now)
            try Self.write(&desk, tenantId, at: now, db)
            try CallRows.insert(session, of: tenantId, db)
            try CallRows.insertAnswer(answer, fingerprint: request.fingerprint, request.sessionId, request.requestNumber, of: tenantId, db)
            return CallOutcome(answer: answer, balanceMinor: desk.balanceForRechargeJudgement)
        }
    }

    public func continueCall(_ sessionId: CallSessionId, requestNumber: Int64, step: CallStep, settings: CallDesk.Settings,
                             for tenantId: TenantId, at now: Instant) async throws -> CallOutcome {
        try await writer.submit { db in
            if let repeated = try Self.repeatedAnswer(sessionId, requestNumber, step.fingerprint, tenantId, db) { return repeated }
            let tenant = try Self.tenant(tenantId, db)
            guard var session = try CallRows.session(sessionId, of: tenant, db) else { throw BillingError.unknownSession(sessionId) }
            guard requestNumber > session.lastRequestNumber else {
                throw BillingError.requestOutOfOrder(sessionId, requestNumber, last: session.lastRequestNumber)
            }
            guard session.state == .open else { throw BillingError.sessionClosed(sessionId, session.state) }
            var desk = try Self.desk(for: tenant, holds: [session.holdId], settings: settings, at: now, db)
            let answer: CallAnswer
            switch step {
            case let .update(used):
                answer = desk.update(&session, requestNumber: requestNumber, usedSeconds: used, at: now)
            case let .end(duration, endTime):
                try Self.loadPool(of: session, into: &desk, tenantId, db)
                let recorded = try UsageRows.record(sessionId.rawValue, of: tenantId, db)?.record
                answer = desk.end(&session, requestNumber: requestNumber, durationSeconds: duration, endTime: endTime, recorded: recorded, at: now)
            }
            try Self.write(&desk, tenantId, at: now, db)
            try CallRows.update(session, of: tenantId, db)
            try CallRows.insertAnswer(answer, fingerprint: step.fingerprint, sessionId, requestNumber, of: tenantId, db)
            return CallOutcome(answer: answer, balanceMinor: desk.balanceForRechargeJudgement, currency: tenant.currency)
        }
    }

    public func expireSilentCalls(settings: CallDesk.Settings, at now: Instant) async throws -> [TenantId: Int64] {
        let due = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT tenant_id, session_id FROM call_session WHERE state = 'open' AND expires_at <= ? ORDER BY tenant_id",
                             arguments: [now.millisecondsSinceEpoch]).map { (TenantId($0[0]), CallSessionId(stored: $0[1])) }
        }
        var balances: [TenantId: Int64] = [:]
        for (tenant, rows) in Dictionary(grouping: due, by: \.0) {
            let ids = rows.map(\.1)
            balances[tenant] = try await writer.submit { db in
                let tenantRecord = try Self.tenant(tenant, db)
                let sessions = try ids.compactMap { try CallRows.session($0, of: tenantRecord, db) }
                    .filter { $0.state == .open && $0.expiresAt <= now }
                var desk = try Self.desk(for: tenantRecord, holds: Set(sessions.map(\.holdId)), settings: settings, at: now, db)
                for var session in sessions {
                    try Self.loadPool(of: session, into: &desk, tenant, db)
                    desk.expire(&session, recorded: try UsageRows.record(session.id.rawValue, of: tenant, db)?.record, at: now)
                    try CallRows.update(session, of: tenant, db)
                }
                try Self.write(&desk, tenant, at: now, db)
                return desk.balanceForRechargeJudgement
            }
        }
        return balances
    }

    public func earliestSilentCallDeadline(by instant: Instant) async throws -> Instant? {
        try await database.read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(expires_at) FROM call_session WHERE state = 'open' AND expires_at <= ?",
                               arguments: [instant.millisecondsSinceEpoch]).map(Instant.init(millisecondsSinceEpoch:))
        }
    }

    // MARK: After the fact

    public func recordUsage(_ uploads: [UsageUpload], rates: RateBook, settings: CallDesk.Settings, for tenantId: TenantId,
                            at now: Instant) async throws -> UsageBatchOutcome {
        try LedgerLimits.checkBatchSize(uploads.count)
        return try await writer.submit { db in
            let tenant = try Self.tenant(tenantId, db)
            var desk = try Self.desk(for: tenant, holds: [], settings: settings, at: now, db)
            var earlier: [String: (fingerprint: String, record: UsageRecord)] = [:]
            var users: [UserPrincipalName: User?] = [:]
            var results: [UsageResult] = []
            results.reserveCapacity(uploads.count)
            for upload in uploads {
                if let known = try earlier[upload.usageId.rawValue] ?? UsageRows.record(upload.usageId.rawValue, of: tenantId, db) {
                    // A real-time call's record counts as the same call whatever the upload says.
                    let same = known.fingerprint == upload.fingerprint || known.record.source != .upload
                    results.append(same ? .duplicate(known.record) : .refused(.usageConflict(upload.usageId)))
                    continue
                }
                do {
                    try tenant.usageRetention.check(startTime: upload.startTime, at: now)
                    let user = try upload.upn.flatMap { upn in
                        try users[upn] ?? { let user = try Self.user(upn, tenant.id, db); users[upn] = user; return user }()
                    }
                    let facts = Self.facts(callType: upload.callType, user: user, caller: upload.caller, callee: upload.callee,
                                           startTime: upload.startTime, tenant: tenant, rates: rates)
                    if upload.callType.needsUser, facts.user == nil { throw BillingError.unknownUser(upload.upn?.rawValue ?? "(none)") }
                    try Self.loadPools(for: facts, startTime: upload.startTime, into: &desk, tenantId, db)
                    let record = try desk.record(upload, facts: facts)
                    earlier[upload.usageId.rawValue] = (upload.fingerprint, record)
                    results.append(.charged(record))
                } catch let error as BillingError {
                    results.append(.refused(error))
                }
            }
            desk.finishUploads(at: now)
            for record in desk.records { try UsageRows.insert(record, fingerprint: earlier[record.usageId]!.fingerprint, of: tenantId, db) }
            try Self.writeLedgerAndPools(&desk, tenantId, at: now, db)
            return UsageBatchOutcome(results: results, balanceMinor: desk.balanceForRechargeJudgement)
        }
    }

    // MARK: Reading

    public func usageRecords(for tenantId: TenantId, from: Instant, to: Instant, after: UsageCursor?, limit: Int) async throws -> [UsageRecord] {
        try await database.read { db in try UsageRows.records(of: tenantId, from: from, to: to, after: after, limit: limit, db) }
    }

    public func dailyCharges(for tenantId: TenantId, from: Instant, to: Instant, paidBy capabilities: Set<Capability>) async throws
        -> [CivilDate: Int64] {
        try await database.read { db in
            try UsageRows.dailyCharges(of: tenantId, from: from, to: to, paidBy: capabilities.map(\.rawValue), db)
        }
    }

    public func usageRecordStartTime(for tenantId: TenantId, from: Instant, to: Instant, skipping: Int) async throws -> Instant? {
        try await database.read { db in
            try Int64.fetchOne(db, sql: """
                SELECT start_time FROM usage_record WHERE tenant_id = ? AND start_time >= ? AND start_time < ? ORDER BY start_time LIMIT 1 OFFSET ?
                """, arguments: [tenantId.rawValue, from.millisecondsSinceEpoch, to.millisecondsSinceEpoch, skipping])
        }.map(Instant.init(millisecondsSinceEpoch:))
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

    // MARK: Steps shared by the requests

    private static func repeatedAnswer(_ sessionId: CallSessionId, _ number: Int64, _ fingerprint: String, _ tenantId: TenantId,
                                       _ db: Database) throws -> CallOutcome? {
        guard let recorded = try CallRows.answer(sessionId, number, of: tenantId, db) else { return nil }
        guard recorded.fingerprint == fingerprint else { throw BillingError.requestConflict(sessionId, number) }
        return CallOutcome(answer: recorded.answer, balanceMinor: nil)
    }

    private static func tenant(_ tenantId: TenantId, _ db: Database) throws -> Tenant {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tenant WHERE id = ?"), arguments: [tenantId.rawValue]) else {
            throw BillingError.unknownTenant(tenantId)
        }
        return SQLiteDirectoryStore.tenant(row)
    }

    private static func user(_ upn: UserPrincipalName, _ tenantId: TenantId, _ db: Database) throws -> User? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tenant_user WHERE tenant_id = ? AND upn = ?"),
                         arguments: [tenantId.rawValue, upn.rawValue]).map(SQLiteDirectoryStore.user)
    }

    private static func facts(callType: CallType, user: User?, caller: PhoneNumber, callee: PhoneNumber, startTime: Instant,
                              tenant: Tenant, rates: RateBook) -> CallFacts {
        let rate = rates.deck(for: tenant.currency)?.rate(for: callee, on: startTime.civilDateAndTime.date)
        return CallFacts(callType: callType, user: user, caller: caller, callee: callee, rate: rate, tenantCountry: tenant.country)
    }

    private static func desk(for tenant: Tenant, holds: Set<HoldId>, settings: CallDesk.Settings, at now: Instant, _ db: Database) throws -> CallDesk {
        CallDesk(account: try LedgerRows.loadAccount(tenant.id, naming: holds, dueBy: now, db), ids: try LedgerRows.nextIds(db), tenant: tenant,
                 autoRecharge: try SQLiteBillingStore.autoRecharge(tenant.id, db), settings: settings)
    }

    private static func loadPools(for facts: CallFacts, startTime: Instant, into desk: inout CallDesk, _ tenantId: TenantId, _ db: Database) throws {
        for slot in desk.missingPools(CallRoute.of(facts).pools, in: CalendarMonth(of: startTime)) {
            desk.know(try CallRows.pool(slot, of: tenantId, db))
        }
    }

    private static func loadPool(of session: CallSession, into desk: inout CallDesk, _ tenantId: TenantId, _ db: Database) throws {
        guard let draw = session.pool else { return }
        for slot in desk.missingPools([draw], in: CalendarMonth(of: session.start.startTime)) {
            desk.know(try CallRows.pool(slot, of: tenantId, db))
        }
    }

    /// Writes what a real-time request changed: records, ledger, pools.
    private static func write(_ desk: inout CallDesk, _ tenantId: TenantId, at now: Instant, _ db: Database) throws {
        for record in desk.records { try UsageRows.insert(record, fingerprint: "session", of: tenantId, db) }
        try writeLedgerAndPools(&desk, tenantId, at: now, db)
    }

    private static func writeLedgerAndPools(_ desk: inout CallDesk, _ tenantId: TenantId, at now: Instant, _ db: Database) throws {
        let changes = desk.takeLedgerChanges()
        try LedgerRows.write(changes, of: desk.account, db)
        try CallRows.addPoolUse(desk.poolUse, of: tenantId, db)
        for event in desk.events {
            try NotificationRows.note(event, of: tenantId, currency: desk.account.currency, balanceMinor: desk.account.figures.balanceMinor,
                                      at: now, db)
        }
    }
}
