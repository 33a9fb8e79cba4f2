public import CreditsCore
public import CreditsStore
import Logging
import PostgresNIO

/// Calls in PostgreSQL. Every request locks the tenant's account (`LedgerRows.loadAccount`),
/// runs `CallDesk` and writes the result in one transaction: two instances charging one tenant
/// take turns, so a pool minute or a unit of credit is never spent twice. Requests for one
/// tenant that arrive together share a commit (`TenantCommits`).
public final class PostgresCallStore: CallStore {
    let database: PostgresDatabase

    init(database: PostgresDatabase) {
        self.database = database
    }

    // MARK: Rates

    public func saveRates(_ rates: [Rate], currency: Currency) async throws -> RateDeck {
        let logger = database.logger
        return try await database.transaction { c in
            var insert = RowsInsert("""
                INSERT INTO rate (currency, prefix, effective_from, destination, number_type, rate_micros, fee_micros, first_increment, next_increment) VALUES
                """, columns: 9, tail: """
                ON CONFLICT (currency, prefix, effective_from) DO UPDATE SET destination = excluded.destination, number_type = excluded.number_type,
                    rate_micros = excluded.rate_micros, fee_micros = excluded.fee_micros, first_increment = excluded.first_increment,
                    next_increment = excluded.next_increment
                """)
            // A deck may name a prefix and date twice; as in SQLite, the later line stands.
            var latest: [String: Rate] = [:]
            for rate in rates { latest[rate.prefix.description + " " + ISO8601.formatDate(rate.effectiveFrom)] = rate }
            for rate in latest.values {
                insert.add(.text(currency.code), .text(rate.prefix.description), .text(ISO8601.formatDate(rate.effectiveFrom)), .text(rate.destination),
                           .text(rate.numberType.rawValue), .integer(rate.rateMicrosPerMinute), .integer(rate.connectionFeeMicros),
                           .integer(rate.firstIncrementSeconds), .integer(rate.nextIncrementSeconds))
            }
            try await insert.run(on: c, logger: logger)
            return try RateDeck(currency: currency, rates: try await CallRows.rates(c, logger, currency: currency.code).map(\.1))
        }
    }

    public func rateBook() async throws -> RateBook {
        let logger = database.logger
        return try await database.read { c in
            let byCurrency = Dictionary(grouping: try await CallRows.rates(c, logger), by: \.0)
            return RateBook(try byCurrency.map { code, rates in try RateDeck(currency: Currency(code: code)!, rates: rates.map(\.1)) })
        }
    }

    // MARK: Real time

    public func startCall(_ request: CallStart, rates: RateBook, settings: CallDesk.Settings, for tenantId: TenantId, at now: Instant) async throws
        -> CallOutcome {
        let logger = database.logger
        return try await database.tenantCommits.submit(for: tenantId.rawValue) { c in
            let tenant = try await Self.tenant(tenantId, c, logger)
            let account = try await LedgerRows.loadAccount(tenantId, naming: [], dueBy: now, c, logger)
            if let repeated = try await Self.repeatedAnswer(request.sessionId, request.requestNumber, request.fingerprint, tenantId, c, logger) {
                return repeated
            }
            guard try await CallRows.session(request.sessionId, of: tenant, c, logger) == nil else { throw BillingError.sessionExists(request.sessionId) }
            let user = try await request.upn.asyncFlatMap { try await DirectoryRows.user($0, in: tenantId, c, logger) }
            let facts = Self.facts(callType: request.callType, user: user, caller: request.caller, callee: request.callee,
                                   startTime: request.startTime, tenant: tenant, rates: rates)
            let autoRecharge = try await BillingRows.autoRecharge(tenantId, c, logger)
            let (desk, session, answer) = try await LedgerRows.withReservedIds(estimate: (0, 1), c, logger) { ids in
                var desk = CallDesk(account: account, ids: ids, tenant: tenant, autoRecharge: autoRecharge, settings: settings)
                try await Self.loadPools(for: facts, startTime: request.startTime, into: &desk, tenantId, c, logger)
                let (session, answer) = desk.start(request, facts: facts, at: now)
                return ((desk, session, answer), desk.ids)
            }
            var written = desk
            try await Self.write(&written, tenantId, at: now, c, logger)
            try await CallRows.insert(session, of: tenantId, c, logger)
            try await CallRows.insertAnswer(answer, fingerprint: request.fingerprint, request.sessionId, request.requestNumber, of: tenantId, c, logger)
            return CallOutcome(answer: answer, balanceMinor: written.balanceForRechargeJudgement)
        }
    }

    public func continueCall(_ sessionId: CallSessionId, requestNumber: Int64, step: CallStep, settings: CallDesk.Settings,
                             for tenantId: TenantId, at now: Instant) async throws -> CallOutcome {
        let logger = database.logger
        return try await database.tenantCommits.submit(for: tenantId.rawValue) { c in
            let tenant = try await Self.tenant(tenantId, c, logger)
            guard let stored = try await CallRows.session(sessionId, of: tenant, c, logger) else {
                if let repeated = try await Self.repeatedAnswer(sessionId, requestNumber, step.fingerprint, tenantId, c, logger) { return repeated }
                throw BillingError.unknownSession(sessionId)
            }
            let account = try await LedgerRows.loadAccount(tenantId, naming: [stored.holdId], dueBy: now, c, logger)
            if let repeated = try await Self.repeatedAnswer(sessionId, requestNumber, step.fingerprint, tenantId, c, logger) { return repeated }
            // Read again under the account's lock: another instance may have moved it on.
            var session = try await CallRows.session(sessionId, of: tenant, c, logger)!
            guard requestNumber > session.lastRequestNumber else {
                throw BillingError.requestOutOfOrder(sessionId, requestNumber, last: session.lastRequestNumber)
            }
            guard session.state == .open else { throw BillingError.sessionClosed(sessionId, session.state) }
            let autoRecharge = try await BillingRows.autoRecharge(tenantId, c, logger)
            let recorded = try await UsageRows.records([sessionId.rawValue], of: tenantId, c, logger)[sessionId.rawValue]?.record
            let opened = session
            let (desk, moved, answer) = try await LedgerRows.withReservedIds(estimate: (0, 1), c, logger) { ids in
                var desk = CallDesk(account: account, ids: ids, tenant: tenant, autoRecharge: autoRecharge, settings: settings)
                var session = opened
                let answer: CallAnswer
                switch step {
                case let .update(used):
                    answer = desk.update(&session, requestNumber: requestNumber, usedSeconds: used, at: now)
                case let .end(duration, endTime):
                    try await Self.loadPool(of: session, into: &desk, tenantId, c, logger)
                    answer = desk.end(&session, requestNumber: requestNumber, durationSeconds: duration, endTime: endTime, recorded: recorded, at: now)
                }
                return ((desk, session, answer), desk.ids)
            }
            session = moved
            var written = desk
            try await Self.write(&written, tenantId, at: now, c, logger)
            try await CallRows.update(session, of: tenantId, c, logger)
            try await CallRows.insertAnswer(answer, fingerprint: step.fingerprint, sessionId, requestNumber, of: tenantId, c, logger)
            return CallOutcome(answer: answer, balanceMinor: written.balanceForRechargeJudgement, currency: tenant.currency)
        }
    }

    public func expireSilentCalls(settings: CallDesk.Settings, at now: Instant) async throws -> [TenantId: Int64] {
        let logger = database.logger
        let due = try await database.read { c in
            try await c.rows("""
                SELECT tenant_id, session_id FROM call_session WHERE state = 'open' AND expires_at <= \(now.millisecondsSinceEpoch) ORDER BY tenant_id
                """, as: (String, String).self, logger: logger)
        }
        var balances: [TenantId: Int64] = [:]
        for (tenant, rows) in Dictionary(grouping: due, by: \.0) {
            let tenantId = TenantId(tenant)
            balances[tenantId] = try await database.transaction { c in
                let tenantRecord = try await Self.tenant(tenantId, c, logger)
                let candidates = try await CallRows.sessions(rows.map { CallSessionId(stored: $0.1) }, of: tenantRecord, c, logger)
                let account = try await LedgerRows.loadAccount(tenantId, naming: Set(candidates.map(\.holdId)), dueBy: now, c, logger)
                // Read again under the account's lock: a session may have ended meanwhile.
                let sessions = try await CallRows.sessions(candidates.map(\.id), of: tenantRecord, c, logger)
                    .filter { $0.state == .open && $0.expiresAt <= now }
                let autoRecharge = try await BillingRows.autoRecharge(tenantId, c, logger)
                let recorded = try await UsageRows.records(sessions.map(\.id.rawValue), of: tenantId, c, logger)
                let (desk, expired) = try await LedgerRows.withReservedIds(estimate: (0, sessions.count), c, logger) { ids in
                    var desk = CallDesk(account: account, ids: ids, tenant: tenantRecord, autoRecharge: autoRecharge, settings: settings)
                    var expired: [CallSession] = []
                    for var session in sessions {
                        try await Self.loadPool(of: session, into: &desk, tenantId, c, logger)
                        desk.expire(&session, recorded: recorded[session.id.rawValue]?.record, at: now)
                        expired.append(session)
                    }
                    return ((desk, expired), desk.ids)
                }
                for session in expired { try await CallRows.update(session, of: tenantId, c, logger) }
                var written = desk
                try await Self.write(&written, tenantId, at: now, c, logger)
                return written.balanceForRechargeJudgement
            }
        }
        return balances
    }

    public func earliestSilentCallDeadline(by instant: Instant) async throws -> Instant? {
        let logger = database.logger
        let found = try await database.read { c in
            try await c.row("SELECT MIN(expires_at) FROM call_session WHERE state = 'open' AND expires_at <= \(instant.millisecondsSinceEpoch)",
                            as: Int64?.self, logger: logger)
        }
        return (found ?? nil).map(Instant.init(millisecondsSinceEpoch:))
    }

    // MARK: After the fact

    public func recordUsage(_ uploads: [UsageUpload], rates: RateBook, settings: CallDesk.Settings, for tenantId: TenantId,
                            at now: Instant) async throws -> UsageBatchOutcome {
        try LedgerLimits.checkBatchSize(uploads.count)
        let logger = database.logger
        return try await database.tenantCommits.submit(for: tenantId.rawValue) { c in
            let tenant = try await Self.tenant(tenantId, c, logger)
            let account = try await LedgerRows.loadAccount(tenantId, naming: [], dueBy: now, c, logger)
            let autoRecharge = try await BillingRows.autoRecharge(tenantId, c, logger)
            let known = try await UsageRows.records(uploads.map(\.usageId.rawValue), of: tenantId, c, logger)
            var users: [UserPrincipalName: User] = [:]
            for upn in Set(uploads.compactMap(\.upn)) { users[upn] = try await DirectoryRows.user(upn, in: tenantId, c, logger) }
            let knownUsers = users
            let (desk, results, fingerprints) = try await LedgerRows.withReservedIds(estimate: (0, uploads.count), c, logger) { ids in
                var desk = CallDesk(account: account, ids: ids, tenant: tenant, autoRecharge: autoRecharge, settings: settings)
                var earlier: [String: (fingerprint: String, record: UsageRecord)] = [:]
                var results: [UsageResult] = []
                results.reserveCapacity(uploads.count)
                for upload in uploads {
                    if let known = earlier[upload.usageId.rawValue] ?? known[upload.usageId.rawValue] {
                        // A real-time call's record counts as the same call whatever the upload says.
                        let same = known.fingerprint == upload.fingerprint || known.record.source != .upload
                        results.append(same ? .duplicate(known.record) : .refused(.usageConflict(upload.usageId)))
                        continue
                    }
                    do {
                        try tenant.usageRetention.check(startTime: upload.startTime, at: now)
                        let facts = Self.facts(callType: upload.callType, user: upload.upn.flatMap { knownUsers[$0] }, caller: upload.caller,
                                               callee: upload.callee, startTime: upload.startTime, tenant: tenant, rates: rates)
                        if upload.callType.needsUser, facts.user == nil { throw BillingError.unknownUser(upload.upn?.rawValue ?? "(none)") }
                        try await Self.loadPools(for: facts, startTime: upload.startTime, into: &desk, tenantId, c, logger)
                        let record = try desk.record(upload, facts: facts)
                        earlier[upload.usageId.rawValue] = (upload.fingerprint, record)
                        results.append(.charged(record))
                    } catch let error as BillingError {
                        results.append(.refused(error))
                    }
                }
                desk.finishUploads(at: now)
                return ((desk, results, earlier.mapValues(\.fingerprint)), desk.ids)
            }
            var written = desk
            try await UsageRows.insert(written.records.map { ($0, fingerprints[$0.usageId]!) }, of: tenantId, c, logger)
            try await Self.writeLedgerAndPools(&written, tenantId, at: now, c, logger)
            return UsageBatchOutcome(results: results, balanceMinor: written.balanceForRechargeJudgement)
        }
    }

    // MARK: Reading

    public func usageRecords(for tenantId: TenantId, from: Instant, to: Instant, after: UsageCursor?, limit: Int) async throws -> [UsageRecord] {
        let logger = database.logger
        return try await database.read { c in try await UsageRows.records(of: tenantId, from: from, to: to, after: after, limit: limit, c, logger) }
    }

    public func dailyCharges(for tenantId: TenantId, from: Instant, to: Instant, paidBy capabilities: Set<Capability>) async throws -> [CivilDate: Int64] {
        let logger = database.logger
        return try await database.read { c in
            try await UsageRows.dailyCharges(of: tenantId, from: from, to: to, paidBy: capabilities.map(\.rawValue), c, logger)
        }
    }

    public func usageRecordStartTime(for tenantId: TenantId, from: Instant, to: Instant, skipping: Int) async throws -> Instant? {
        let logger = database.logger
        return try await database.read { c in
            try await c.row("""
                SELECT start_time FROM usage_record WHERE tenant_id = \(tenantId.rawValue) AND start_time >= \(from.millisecondsSinceEpoch)
                AND start_time < \(to.millisecondsSinceEpoch) ORDER BY start_time LIMIT 1 OFFSET \(Int64(skipping))
                """, as: Int64.self, logger: logger)
        }.map(LedgerRows.instant)
    }

    public func usageRecordCount(for tenantId: TenantId, from: Instant, to: Instant) async throws -> Int {
        let logger = database.logger
        return try await database.read { c in
            let count = try await c.row("""
                SELECT COUNT(*) FROM usage_record WHERE tenant_id = \(tenantId.rawValue) AND start_time >= \(from.millisecondsSinceEpoch)
                AND start_time < \(to.millisecondsSinceEpoch)
                """, as: Int64.self, logger: logger)
            return Int(count ?? 0)
        }
    }

    public func purgeExpiredUsage(at now: Instant) async throws -> Int {
        let logger = database.logger
        let tenants = try await database.read { c in
            try await c.records("SELECT \(unescaped: DirectoryRows.tenantColumns) FROM tenant", logger: logger, DirectoryRows.tenant)
        }
        var purged = 0
        for tenant in tenants {
            let horizon = tenant.usageRetention.horizon(at: now).millisecondsSinceEpoch
            while true {
                let deleted = try await database.transaction { c in
                    try await c.run("""
                        DELETE FROM usage_record WHERE tenant_id = \(tenant.id.rawValue) AND usage_id IN
                            (SELECT usage_id FROM usage_record WHERE tenant_id = \(tenant.id.rawValue) AND start_time < \(horizon) LIMIT \(Int64(Self.purgeBatch)))
                        RETURNING usage_id
                        """, logger: logger)
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
        let logger = database.logger
        return try await database.read { c in try await CallRows.pools(of: tenantId, month: month, c, logger) }
    }

    public func session(_ sessionId: CallSessionId, for tenantId: TenantId) async throws -> CallSession? {
        let logger = database.logger
        return try await database.read { c in try await CallRows.session(sessionId, of: Self.tenant(tenantId, c, logger), c, logger) }
    }

    public func issuePostUsageInvoices(at now: Instant) async throws -> [PostUsageInvoice] {
        let logger = database.logger
        return try await database.transaction { c in try await UsageRows.issuePostUsageInvoices(at: now, c, logger) }
    }

    public func postUsageInvoices(for tenantId: TenantId) async throws -> [PostUsageInvoice] {
        let logger = database.logger
        return try await database.read { c in try await UsageRows.postUsageInvoices(of: tenantId, c, logger) }
    }

    // MARK: Steps shared by the requests

    private static func repeatedAnswer(_ sessionId: CallSessionId, _ number: Int64, _ fingerprint: String, _ tenantId: TenantId,
                                       _ c: PostgresConnection, _ logger: Logger) async throws -> CallOutcome? {
        guard let recorded = try await CallRows.answer(sessionId, number, of: tenantId, c, logger) else { return nil }
        guard recorded.fingerprint == fingerprint else { throw BillingError.requestConflict(sessionId, number) }
        return CallOutcome(answer: recorded.answer, balanceMinor: nil)
    }

    private static func tenant(_ tenantId: TenantId, _ c: PostgresConnection, _ logger: Logger) async throws -> Tenant {
        guard let tenant = try await DirectoryRows.tenant(tenantId, c, logger) else { throw BillingError.unknownTenant(tenantId) }
        return tenant
    }

    private static func facts(callType: CallType, user: User?, caller: PhoneNumber, callee: PhoneNumber, startTime: Instant,
                              tenant: Tenant, rates: RateBook) -> CallFacts {
        let rate = rates.deck(for: tenant.currency)?.rate(for: callee, on: startTime.civilDateAndTime.date)
        return CallFacts(callType: callType, user: user, caller: caller, callee: callee, rate: rate, tenantCountry: tenant.country)
    }

    private static func loadPools(for facts: CallFacts, startTime: Instant, into desk: inout CallDesk, _ tenantId: TenantId,
                                  _ c: PostgresConnection, _ logger: Logger) async throws {
        for slot in desk.missingPools(CallRoute.of(facts).pools, in: CalendarMonth(of: startTime)) {
            desk.know(try await CallRows.pool(slot, of: tenantId, c, logger))
        }
    }

    private static func loadPool(of session: CallSession, into desk: inout CallDesk, _ tenantId: TenantId, _ c: PostgresConnection,
                                 _ logger: Logger) async throws {
        guard let draw = session.pool else { return }
        for slot in desk.missingPools([draw], in: CalendarMonth(of: session.start.startTime)) {
            desk.know(try await CallRows.pool(slot, of: tenantId, c, logger))
        }
    }

    /// Writes what a real-time request changed: records, ledger, pools.
    private static func write(_ desk: inout CallDesk, _ tenantId: TenantId, at now: Instant, _ c: PostgresConnection, _ logger: Logger) async throws {
        try await UsageRows.insert(desk.records.map { ($0, "session") }, of: tenantId, c, logger)
        try await writeLedgerAndPools(&desk, tenantId, at: now, c, logger)
    }

    private static func writeLedgerAndPools(_ desk: inout CallDesk, _ tenantId: TenantId, at now: Instant, _ c: PostgresConnection,
                                            _ logger: Logger) async throws {
        let changes = desk.takeLedgerChanges()
        try await LedgerRows.write(changes, of: desk.account, c, logger)
        try await CallRows.addPoolUse(desk.poolUse, of: tenantId, c, logger)
        for event in desk.events {
            try await NotificationRows.note(event, of: tenantId, currency: desk.account.currency, balanceMinor: desk.account.figures.balanceMinor,
                                            at: now, c, logger)
        }
    }
}

extension Optional {
    func asyncFlatMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped?) async rethrows -> Mapped? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
