/// One tenant's calls and credits as the rules need them, applied to command by command
/// (`DOMAIN.md` sections 4 to 8): the order and state of a session's requests, repeats, usage
/// records counted once, retention, who pays and what it costs.
///
/// A store keeps the value between transactions, as long as nobody else wrote the tenant;
/// before each batch it loads what `lookups(for:rates:)` asks for, until nothing is missing,
/// then applies the commands and writes `takeChanges()`. Nothing here reads or writes a store.
public struct TenantCalls: Sendable {
    /// What the store must load before `apply` can judge the commands.
    public struct Lookups: Hashable, Sendable {
        /// Sessions to load with all their kept answers (absent ones are noted as such).
        public var sessions: Set<CallSessionId> = []
        /// Usage records by usage id.
        public var usageIds: Set<String> = []
        public var users: Set<UserPrincipalName> = []
        /// Holds of loaded sessions that the account does not know.
        public var holds: Set<HoldId> = []
        /// Lots a late end gives funds back to that the account does not have.
        public var lots: Set<LotId> = []
        public var pools: Set<CallDesk.PoolSlot> = []
        /// The spend of a month of the users and units with a limit that the calls name (absent: zero).
        public var spends: Set<MonthlySpend.Slot> = []

        public var isEmpty: Bool {
            sessions.isEmpty && usageIds.isEmpty && users.isEmpty && holds.isEmpty && lots.isEmpty && pools.isEmpty && spends.isEmpty
        }
    }

    /// Everything the commands since the last call changed, for the store to write in one transaction.
    public struct Changes: Sendable {
        public let desk: CallDesk.Changes
        /// Sessions to insert, then sessions to update (each once, in its latest state).
        public let newSessions: [CallSession]
        public let changedSessions: [CallSession]
        public let answers: [(key: CallAnswerKey, kept: KeptCallAnswer)]
        /// The records of `desk.records` with their fingerprints, in order.
        public let records: [KeptUsageRecord]
        /// The balance the events are told with.
        public let balanceMinor: Int64
        /// Starts refused since the last changes, by day and reason, for the store to add.
        public let refusedCalls: [RefusedCalls]
    }

    /// Users kept in memory beyond one batch, at most: a tenant with more sees some loaded again.
    public static let maximumKeptUsers = 10_000

    public private(set) var desk: CallDesk
    public var tenant: Tenant { desk.tenant }
    /// Open sessions are kept between batches; closed ones only for the batch that loaded or closed them.
    private var sessions: [CallSessionId: CallSession] = [:]
    /// Sessions looked up and not found, for this batch.
    private var absentSessions: Set<CallSessionId> = []
    /// The kept answers of the sessions known, by request number.
    private var answers: [CallSessionId: [Int64: KeptCallAnswer]] = [:]
    /// Records by usage id, looked up or written in this batch; nil when looked up and not found.
    private var records: [String: KeptUsageRecord?] = [:]
    /// Users by name; nil when there is no such user.
    private var users: [UserPrincipalName: User?] = [:]
    private var newSessions: [CallSessionId] = []
    private var changedSessions: Set<CallSessionId> = []
    private var newAnswers: [(key: CallAnswerKey, kept: KeptCallAnswer)] = []
    private var refusedCalls: [RefusedCalls] = []

    /// A tenant's state as loaded: its account with its live lots and at least its open holds
    /// that are due, and its open sessions with their answers (any not given are looked up).
    public init(desk: CallDesk, openSessions: [CallSession] = [], answers: [CallAnswerKey: KeptCallAnswer] = [:]) {
        self.desk = desk
        for session in openSessions where session.state == .open { sessions[session.id] = session }
        for (key, answer) in answers where sessions[key.sessionId] != nil { self.answers[key.sessionId, default: [:]][key.requestNumber] = answer }
    }

    // MARK: What to load

    /// What is still missing to apply `commands`; empty when they can be applied. Ask again
    /// after loading: what a session or user turns out to be decides which pools and holds follow.
    public func lookups(for commands: [CallCommand], rates: RateBook) -> Lookups {
        var missing = Lookups()
        for command in commands {
            switch command {
            case let .start(request):
                lookUp(request.sessionId, into: &missing)
                lookUpUserAndPools(request.callType, upn: request.upn, request.caller, request.callee, request.startTime, rates, into: &missing)
            case let .step(sessionId, _, step):
                lookUp(sessionId, into: &missing)
                if let session = sessions[sessionId] { lookUpSpend(session.facts.user, session.start.startTime, into: &missing) }
                if case .end = step, let session = sessions[sessionId], session.state == .open || session.state == .expired {
                    lookUpRecordAndPool(of: session, into: &missing)
                    if session.state == .expired, session.heldMinor > 0 { lookUpCreditBack(of: session, into: &missing) }
                }
            case let .upload(uploads):
                for upload in uploads {
                    if records[upload.usageId.rawValue] == nil { missing.usageIds.insert(upload.usageId.rawValue) }
                    lookUpUserAndPools(
                        upload.callType,
                        upn: upload.upn,
                        upload.caller,
                        upload.callee,
                        upload.startTime,
                        rates,
                        unitsAsUploaded: upload.administrativeUnits,
                        into: &missing
                    )
                }
            case let .expireSilent(sessionIds):
                for sessionId in sessionIds {
                    lookUp(sessionId, into: &missing)
                    if let session = sessions[sessionId], session.state == .open {
                        lookUpRecordAndPool(of: session, into: &missing)
                        lookUpSpend(session.facts.user, session.start.startTime, into: &missing)
                    }
                }
            }
        }
        return missing
    }

    private func lookUp(_ sessionId: CallSessionId, into missing: inout Lookups) {
        guard let session = sessions[sessionId] else {
            if !absentSessions.contains(sessionId) { missing.sessions.insert(sessionId) }
            return
        }
        if session.state == .open, session.heldMinor > 0, !desk.knowsHold(session.holdId) { missing.holds.insert(session.holdId) }
    }

    /// The call's user; once it is known, the pools that might pay for the call.
    private func lookUpUserAndPools(
        _ callType: CallType,
        upn: UserPrincipalName?,
        _ caller: PhoneNumber,
        _ callee: PhoneNumber,
        _ startTime: Instant,
        _ rates: RateBook,
        unitsAsUploaded: String? = nil,
        into missing: inout Lookups
    ) {
        if let upn, users[upn] == nil {
            missing.users.insert(upn)
            return
        }
        let facts = facts(callType, upn: upn, caller, callee, startTime, rates, unitsAsUploaded: unitsAsUploaded)
        lookUpPools(CallRoute.of(facts).pools, month: CalendarMonth(of: startTime), into: &missing)
        lookUpSpend(facts.user, startTime, into: &missing)
    }

    /// The spend of the call's user and of the user's units, those with a limit.
    private func lookUpSpend(_ user: User?, _ startTime: Instant, into missing: inout Lookups) {
        guard let user else { return }
        for slot in desk.controls.limitedSpendSlots(of: user, startTime: startTime) where !desk.knows(slot) { missing.spends.insert(slot) }
    }

    private func lookUpRecordAndPool(of session: CallSession, into missing: inout Lookups) {
        if records[session.id.rawValue] == nil { missing.usageIds.insert(session.id.rawValue) }
        if let pool = session.pool { lookUpPools([pool], month: CalendarMonth(of: session.start.startTime), into: &missing) }
    }

    /// A late end's: the settled hold of the time-out's charge, then the lots it was spent from.
    private func lookUpCreditBack(of session: CallSession, into missing: inout Lookups) {
        guard desk.knowsHold(session.holdId) else {
            missing.holds.insert(session.holdId)
            return
        }
        missing.lots.formUnion(desk.lotsToLoad(forLateEndOf: session))
    }

    private func lookUpPools(_ draws: [PoolDraw], month: CalendarMonth, into missing: inout Lookups) {
        for draw in draws where !desk.knows(CallDesk.PoolSlot(key: draw.key, month: month)) {
            missing.pools.insert(CallDesk.PoolSlot(key: draw.key, month: month))
        }
    }

    /// A session as stored with its kept answers, or nil when there is none with that id.
    public mutating func know(session sessionId: CallSessionId, _ stored: CallSession?, answers kept: [CallAnswerKey: KeptCallAnswer]) {
        guard sessions[sessionId] == nil else { return }
        guard let stored else {
            absentSessions.insert(sessionId)
            return
        }
        sessions[sessionId] = stored
        for (key, answer) in kept where key.sessionId == sessionId { answers[sessionId, default: [:]][key.requestNumber] = answer }
    }

    public mutating func know(record usageId: String, _ kept: KeptUsageRecord?) {
        if records[usageId] == nil { records[usageId] = .some(kept) }
    }

    public mutating func know(user upn: UserPrincipalName, _ user: User?) {
        if users[upn] == nil { users[upn] = .some(user) }
    }

    public mutating func know(_ holds: [Hold]) { desk.know(holds) }
    public mutating func know(lots: [Lot]) { desk.know(lots: lots) }

    /// The ledger numbers this transaction hands out (`CallDesk.use`).
    public mutating func use(_ ids: LedgerIdAllocator) { desk.use(ids) }
    public mutating func know(_ pool: PoolBalance) { desk.know(pool) }
    public mutating func know(spent slot: MonthlySpend.Slot, _ spentMinor: Int64) { desk.know(spent: slot, spentMinor) }

    // MARK: Applying

    /// Applies one command to the state, with the ledger numbers `ids` hands out; a refusal
    /// changes nothing. Everything `lookups(for:rates:)` asked for must have been loaded.
    public mutating func apply(_ command: CallCommand, rates: RateBook, at now: Instant) -> Result<CallCommandOutcome, Refusal> {
        let chargedBefore = desk.creditsChargedMinor
        let outcome: Result<CallCommandOutcome, Refusal>
        switch command {
        case let .start(request): outcome = start(request, rates: rates, at: now).map(CallCommandOutcome.call)
        case let .step(sessionId, number, step): outcome = continueCall(sessionId, number, step, at: now).map(CallCommandOutcome.call)
        case let .upload(uploads): outcome = .success(.usage(upload(uploads, rates: rates, at: now)))
        case let .expireSilent(sessionIds): outcome = .success(.expired(balanceMinor: expire(sessionIds, at: now), recharge: nil))
        }
        guard case let .success(.call(call)) = outcome, desk.creditsChargedMinor > chargedBefore else { return outcome }
        return .success(
            .call(
                CallOutcome(
                    answer: call.answer,
                    balanceMinor: desk.balanceForRechargeJudgement(chargedBefore: chargedBefore),
                    currency: call.currency,
                    chargedCredits: true
                )
            )
        )
    }

    private mutating func start(_ request: CallStart, rates: RateBook, at now: Instant) -> Result<CallOutcome, Refusal> {
        let key = CallAnswerKey(sessionId: request.sessionId, requestNumber: request.requestNumber)
        if let repeated = repeatedAnswer(key, request.fingerprint) { return repeated }
        guard sessions[request.sessionId] == nil else { return .failure(.sessionExists(request.sessionId)) }
        precondition(absentSessions.contains(request.sessionId), "the session was looked up")
        do throws(Refusal) { try CallLimits.checkStartTime(request.startTime, at: now) } catch { return .failure(error) }
        let facts = facts(request.callType, upn: request.upn, request.caller, request.callee, request.startTime, rates)
        let (session, answer) = desk.start(request, facts: facts, at: now)
        if let reason = answer.reason { countRefusal(reason, on: request.startTime.civilDateAndTime.date) }
        absentSessions.remove(request.sessionId)
        sessions[session.id] = session
        newSessions.append(session.id)
        keep(answer, for: key, fingerprint: request.fingerprint)
        return .success(CallOutcome(answer: answer, balanceMinor: nil, currency: tenant.currency))
    }

    private mutating func continueCall(
        _ sessionId: CallSessionId,
        _ number: Int64,
        _ step: CallStep,
        at now: Instant
    ) -> Result<CallOutcome, Refusal> {
        let key = CallAnswerKey(sessionId: sessionId, requestNumber: number)
        if let repeated = repeatedAnswer(key, step.fingerprint) { return repeated }
        guard var session = sessions[sessionId] else { return .failure(.unknownSession(sessionId)) }
        guard number > session.lastRequestNumber else { return .failure(.requestOutOfOrder(sessionId, number, last: session.lastRequestNumber)) }
        if session.state == .expired, case let .end(reported, endTime) = step {
            return lateEnd(&session, number, reported: reported, endTime: endTime, fingerprint: step.fingerprint, at: now)
        }
        guard session.state == .open else { return .failure(.sessionClosed(sessionId, session.state)) }
        let answer: CallAnswer
        switch step {
        case .answer:
            guard session.answeredAt == nil else { return .failure(.sessionAnswered(sessionId, step: "answered again")) }
            answer = desk.answer(&session, requestNumber: number, at: now)
        case let .update(used):
            do throws(Refusal) { try CallLimits.checkUsedSeconds(used, granted: session.grantedSeconds) } catch { return .failure(error) }
            answer = desk.update(&session, requestNumber: number, usedSeconds: used, at: now)
        case let .end(reported, endTime):
            let charged: Int64
            do throws(Refusal) {
                charged = try CallLimits.chargedSeconds(
                    reported: reported,
                    granted: session.grantedSeconds,
                    startTime: session.start.startTime,
                    endTime: endTime,
                    at: now
                )
            } catch { return .failure(error) }
            let recorded = recordLookedUp(sessionId.rawValue)
            answer = desk.end(&session, requestNumber: number, durationSeconds: charged, endTime: endTime, recorded: recorded?.record, at: now)
            if recorded == nil {
                records[sessionId.rawValue] = KeptUsageRecord(fingerprint: KeptUsageRecord.realTimeFingerprint, record: desk.records.last!)
            }
        case .cancel:
            guard session.answeredAt == nil, session.usedSeconds == 0 else { return .failure(.sessionAnswered(sessionId, step: "cancelled")) }
            answer = desk.cancel(&session, requestNumber: number, at: now)
        }
        changed(session)
        keep(answer, for: key, fingerprint: step.fingerprint)
        return .success(CallOutcome(answer: answer, balanceMinor: nil, currency: tenant.currency))
    }

    /// The *end* of a session its time-out charged: within the window, it replaces that
    /// charge with the real duration's, at most the time-out's (`CallLimits.checkLateEnd`).
    private mutating func lateEnd(
        _ session: inout CallSession,
        _ number: Int64,
        reported: Int64,
        endTime: Instant,
        fingerprint: String,
        at now: Instant
    ) -> Result<CallOutcome, Refusal> {
        guard let timedOut = recordLookedUp(session.id.rawValue)?.record, timedOut.source == .timeout else {
            return .failure(.sessionClosed(session.id, session.state))
        }
        let answer: CallAnswer
        do throws(Refusal) {
            try CallLimits.checkLateEnd(of: session, at: now)
            let charged = try CallLimits.chargedSeconds(
                reported: reported,
                granted: session.grantedSeconds,
                startTime: session.start.startTime,
                endTime: endTime,
                at: now
            )
            answer = try desk.correct(
                &session,
                requestNumber: number,
                durationSeconds: min(charged, timedOut.durationSeconds),
                endTime: endTime,
                replacing: timedOut,
                at: now
            )
        } catch { return .failure(error) }
        records[session.id.rawValue] = KeptUsageRecord(fingerprint: KeptUsageRecord.realTimeFingerprint, record: desk.records.last!)
        changed(session)
        keep(answer, for: CallAnswerKey(sessionId: session.id, requestNumber: number), fingerprint: fingerprint)
        return .success(CallOutcome(answer: answer, balanceMinor: nil, currency: tenant.currency))
    }

    /// The balance to judge auto-recharge on, when the time-outs charged credits.
    private mutating func expire(_ sessionIds: [CallSessionId], at now: Instant) -> Int64? {
        let chargedBefore = desk.creditsChargedMinor
        for sessionId in sessionIds {
            guard var session = sessions[sessionId], session.state == .open, session.expiresAt <= now else { continue }
            let recorded = recordLookedUp(sessionId.rawValue)
            desk.expire(&session, recorded: recorded?.record, at: now)
            if recorded == nil {
                records[sessionId.rawValue] = KeptUsageRecord(fingerprint: KeptUsageRecord.realTimeFingerprint, record: desk.records.last!)
            }
            changed(session)
        }
        return desk.balanceForRechargeJudgement(chargedBefore: chargedBefore)
    }

    private mutating func upload(_ uploads: [UsageUpload], rates: RateBook, at now: Instant) -> UsageBatchOutcome {
        let chargedBefore = desk.creditsChargedMinor
        var results: [UsageResult] = []
        results.reserveCapacity(uploads.count)
        for upload in uploads {
            if let known = recordLookedUp(upload.usageId.rawValue) {
                // A real-time call's record counts as the same call whatever the upload says.
                let same = known.fingerprint == upload.fingerprint || known.record.source != .upload
                results.append(same ? .duplicate(known.record) : .refused(.usageConflict(upload.usageId)))
                continue
            }
            do throws(Refusal) {
                try tenant.usageRetention.check(startTime: upload.startTime, at: now)
                let facts = facts(
                    upload.callType,
                    upn: upload.upn,
                    upload.caller,
                    upload.callee,
                    upload.startTime,
                    rates,
                    unitsAsUploaded: upload.administrativeUnits
                )
                if upload.callType.needsUser, facts.user == nil { throw Refusal.unknownUser(upload.upn?.rawValue ?? "(none)") }
                let record = try desk.record(upload, facts: facts)
                records[upload.usageId.rawValue] = KeptUsageRecord(fingerprint: upload.fingerprint, record: record)
                results.append(.charged(record))
            } catch {
                results.append(.refused(error))
            }
        }
        desk.finishUploads(at: now)
        return UsageBatchOutcome(results: results, balanceMinor: desk.balanceForRechargeJudgement(chargedBefore: chargedBefore))
    }

    // MARK: Writing

    /// What the commands since the last call changed; the state goes on from there, keeping
    /// only what stays true beyond the transaction (open sessions and their answers, users, the
    /// account, the pools).
    public mutating func takeChanges() -> Changes {
        let deskChanges = desk.takeChanges()
        let fresh = Set(newSessions)
        let changes = Changes(
            desk: deskChanges,
            newSessions: newSessions.map { sessions[$0]! },
            changedSessions: changedSessions.subtracting(fresh).sorted().map { sessions[$0]! },
            answers: newAnswers,
            records: deskChanges.records.map { record in
                KeptUsageRecord(fingerprint: records[record.usageId]??.fingerprint ?? KeptUsageRecord.realTimeFingerprint, record: record)
            },
            balanceMinor: desk.account.figures.balanceMinor,
            refusedCalls: refusedCalls
        )
        for (sessionId, session) in sessions where session.state != .open { forget(sessionId) }
        absentSessions.removeAll()
        records.removeAll(keepingCapacity: true)
        if users.count > Self.maximumKeptUsers { users.removeAll() }
        newSessions.removeAll()
        changedSessions.removeAll()
        newAnswers.removeAll()
        refusedCalls.removeAll()
        return changes
    }

    /// A rough count of the bytes this state holds, for the cache's bound.
    public var approximateBytes: Int {
        1_024 + desk.account.liveLots.count * 160 + desk.account.openHolds.count * 320 + sessions.count * 900
            + answers.values.reduce(0) { $0 + $1.count } * 200 + users.count * 400 + desk.spends.count * 120
    }

    // MARK: Steps shared by the commands

    private func repeatedAnswer(_ key: CallAnswerKey, _ fingerprint: String) -> Result<CallOutcome, Refusal>? {
        guard let kept = answers[key.sessionId]?[key.requestNumber] else { return nil }
        guard kept.fingerprint == fingerprint else { return .failure(.requestConflict(key.sessionId, key.requestNumber)) }
        return .success(CallOutcome(answer: kept.answer, balanceMinor: nil, currency: tenant.currency))
    }

    private func recordLookedUp(_ usageId: String) -> KeptUsageRecord? {
        guard let looked = records[usageId] else { preconditionFailure("usage id \(usageId) was looked up") }
        return looked
    }

    private mutating func countRefusal(_ reason: CallRefusal, on day: CivilDate) {
        if let index = refusedCalls.firstIndex(where: { $0.day == day && $0.reason == reason }) {
            refusedCalls[index].calls += 1
        } else {
            refusedCalls.append(RefusedCalls(day: day, reason: reason, calls: 1))
        }
    }

    private mutating func keep(_ answer: CallAnswer, for key: CallAnswerKey, fingerprint: String) {
        let kept = KeptCallAnswer(fingerprint: fingerprint, answer: answer)
        answers[key.sessionId, default: [:]][key.requestNumber] = kept
        newAnswers.append((key, kept))
    }

    private mutating func changed(_ session: CallSession) {
        sessions[session.id] = session
        changedSessions.insert(session.id)
    }

    /// Drops a closed session and its answers: a later request for it is looked up again.
    private mutating func forget(_ sessionId: CallSessionId) {
        sessions[sessionId] = nil
        answers[sessionId] = nil
    }

    /// The user (looked up), the callee's rate on the call's date in the tenant's currency.
    private func facts(
        _ callType: CallType,
        upn: UserPrincipalName?,
        _ caller: PhoneNumber,
        _ callee: PhoneNumber,
        _ startTime: Instant,
        _ rates: RateBook,
        unitsAsUploaded: String? = nil
    ) -> CallFacts {
        let rate = rates.deck(for: tenant.currency)?.rate(for: callee, on: startTime.civilDateAndTime.date)
        var user = upn.flatMap { users[$0] ?? nil }
        // An uploaded record that names its units counts in those, as it is reported by them.
        if let unitsAsUploaded { user?.administrativeUnits = AdministrativeUnit.unlisted(unitsAsUploaded) }
        return CallFacts(
            callType: callType,
            user: user,
            caller: caller,
            callee: callee,
            rate: rate,
            tenantCountry: tenant.country
        )
    }
}
