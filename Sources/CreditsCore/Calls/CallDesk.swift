/// Real-time call charging and usage records for one tenant (`DOMAIN.md` sections 6 to 8),
/// over its credits account: the money of `TenantCalls`, which judges the requests and keeps
/// the desk between them. What the requests change is handed out by `takeChanges()`.
public struct CallDesk: Sendable {
    public struct Settings: Hashable, Sendable {
        /// The most seconds one answer grants (our rule: 600).
        public var quotaSeconds: Int64
        /// The ledger's own time-out of a call's hold comes this long after the session's, as
        /// a backstop: the session's expiry charges it first, and writes its usage record.
        public var holdBackstopSeconds: Int64

        public init(quotaSeconds: Int64 = 600, holdBackstopSeconds: Int64 = 86_400) {
            self.quotaSeconds = quotaSeconds
            self.holdBackstopSeconds = holdBackstopSeconds
        }
    }

    /// A pool in one month.
    public struct PoolSlot: Hashable, Sendable {
        public let key: PoolKey
        public let month: CalendarMonth
        public init(key: PoolKey, month: CalendarMonth) {
            self.key = key
            self.month = month
        }
    }

    public private(set) var account: CreditAccount
    public private(set) var ids: LedgerIdAllocator
    public let tenant: Tenant
    public let autoRecharge: AutoRechargeSettings
    /// Changed here only by the velocity alarm's suspension (`Changes.controls`).
    public private(set) var controls: CallControls
    public let settings: Settings
    /// The pools known to this desk, with what the requests so far used of them.
    public private(set) var pools: [PoolSlot: PoolBalance] = [:]
    private var loadedPoolUse: [PoolSlot: Int64] = [:]
    /// The credit spend by month of users and units with a limit, known to this desk, with what the
    /// requests so far changed.
    public private(set) var spends: [MonthlySpend.Slot: MonthlySpend] = [:]
    private var loadedSpends: [MonthlySpend.Slot: MonthlySpend] = [:]
    /// What the open calls held when the desk was loaded, by slot: a slot known later starts
    /// from it (a limited user's calls since then knew their slot).
    private let heldWhenLoaded: [MonthlySpend.Slot: Int64]
    /// Slots the requests since the last changes spent from, and those a start was refused for.
    private var spentSlots: Set<MonthlySpend.Slot> = []
    private var limitRefusals: Set<MonthlySpend.Slot> = []
    /// Records written by the requests so far, in order.
    public private(set) var records: [UsageRecord] = []
    /// Usage ids whose stored record a record of `records` replaces (a late end's).
    private var replacedRecords: [String] = []
    /// Credits owed by uploaded records, charged as one ledger transaction by `finishUploads`.
    private var uploadCreditsMinor: Int64 = 0
    private var firstChargedUpload: String?
    /// The credit charges of the sliding hour, counted while the velocity alarm is on, and
    /// what the requests since the last changes added to each minute.
    private var recentSpend: SpendMinutes
    private var spendMinuteChanges: [Int64: Int64] = [:]
    private var forgetsSpendBefore: Int64?
    private var controlsChanged = false
    private var velocityEvents: [CreditEvent] = []
    private var controlLines: [ControlChange] = []

    public init(
        account: CreditAccount,
        ids: LedgerIdAllocator,
        tenant: Tenant,
        autoRecharge: AutoRechargeSettings,
        controls: CallControls = .none,
        heldByOpenCalls: [MonthlySpend.Slot: Int64] = [:],
        recentSpend: SpendMinutes = SpendMinutes(),
        settings: Settings
    ) {
        self.account = account
        self.ids = ids
        self.tenant = tenant
        self.autoRecharge = autoRecharge
        self.controls = controls
        heldWhenLoaded = heldByOpenCalls
        self.recentSpend = recentSpend
        self.settings = settings
    }

    /// What the requests since the last call changed, for the store to write; the desk goes
    /// on from there (its pools' use so far becomes the baseline of the next changes).
    public mutating func takeChanges() -> Changes {
        let changes = Changes(
            ledger: account.takeChanges(),
            records: records,
            replacedRecords: replacedRecords,
            poolUse: poolUse,
            spendChanges: spendChanges,
            events: events,
            controls: controlsChanged ? controls : nil,
            controlLines: controlLines,
            spendMinutes: spendMinuteChanges,
            forgetsSpendMinutesBefore: forgetsSpendBefore
        )
        account.forgetSettledHolds()
        records.removeAll(keepingCapacity: true)
        replacedRecords.removeAll()
        loadedPoolUse = pools.mapValues(\.used)
        for slot in spentSlots { loadedSpends[slot] = spends[slot] }
        spentSlots.removeAll()
        limitRefusals.removeAll()
        unlicensedUseEvents.removeAll()
        creditsChargedMinor = 0
        spendMinuteChanges.removeAll(keepingCapacity: true)
        forgetsSpendBefore = nil
        controlsChanged = false
        velocityEvents.removeAll()
        controlLines.removeAll()
        return changes
    }

    public struct Changes: Sendable {
        public let ledger: LedgerChanges
        /// Records written, in order.
        public let records: [UsageRecord]
        /// Usage ids whose stored record is to be deleted before `records` are written.
        public let replacedRecords: [String]
        /// Units each pool gained, for the store to add.
        public let poolUse: [PoolSlot: Int64]
        /// What the spend of each limited user and unit of a month changed by, for the store to add (holds are not stored).
        public let spendChanges: [MonthlySpend]
        public let events: [CreditEvent]
        /// The controls to write when the velocity alarm suspended calls, with its audit lines.
        public let controls: CallControls?
        public let controlLines: [ControlChange]
        /// What each minute's credit spend changed by, for the store to add; and the minute
        /// before which the stored minutes may be forgotten.
        public let spendMinutes: [Int64: Int64]
        public let forgetsSpendMinutesBefore: Int64?
    }

    /// The ledger numbers the next requests take: the store hands out a fresh range for each
    /// transaction, and reads back what was used.
    public mutating func use(_ ids: LedgerIdAllocator) { self.ids = ids }

    /// Holds loaded after the account, for sessions that name them.
    public mutating func know(_ holds: [Hold]) { account.know(holds) }

    /// Lots loaded for a late end that gives part of a time-out's charge back to them.
    public mutating func know(lots: [Lot]) { account.know(lots: lots) }

    /// The lots a late end of this session would give funds back to that are not loaded.
    public func lotsToLoad(forLateEndOf session: CallSession) -> Set<LotId> { account.lotsToLoad(forCreditBackOf: session.holdId) }

    public func knows(_ slot: PoolSlot) -> Bool { pools[slot] != nil }

    public func knowsHold(_ holdId: HoldId) -> Bool { account.knows(holdId) }

    /// Credits the requests so far took from the balance (held funds posted, records charged).
    public private(set) var creditsChargedMinor: Int64 = 0

    /// The balance auto-recharge is to be judged on after these requests, when they charged
    /// credits and it calls for a recharge; nil otherwise. A request that charged nothing (a
    /// repeat, an end already charged by an upload, refused records) starts no recharge
    /// (`DOMAIN.md` section 4).
    public func balanceForRechargeJudgement(chargedBefore: Int64 = 0) -> Int64? {
        let balance = account.figures.balanceMinor
        return creditsChargedMinor > chargedBefore && autoRecharge.wantsRecharge(atBalance: balance) ? balance : nil
    }

    // MARK: Pools

    public mutating func know(_ balance: PoolBalance) {
        let slot = PoolSlot(key: balance.key, month: balance.month)
        guard pools[slot] == nil else { return }
        pools[slot] = balance
        loadedPoolUse[slot] = balance.used
    }

    public func knows(_ slot: MonthlySpend.Slot) -> Bool { spends[slot] != nil }

    /// A limited user's spend of a month as stored (none yet: zero), with what the user's open
    /// calls held when the desk was loaded.
    public mutating func know(spent slot: MonthlySpend.Slot, _ spentMinor: Int64) {
        guard spends[slot] == nil else { return }
        let spend = MonthlySpend(slot: slot, spentMinor: spentMinor, heldMinor: heldWhenLoaded[slot] ?? 0)
        spends[slot] = spend
        loadedSpends[slot] = spend
    }

    private var spendChanges: [MonthlySpend] {
        spentSlots.compactMap { slot in
            let change = spends[slot]!.spentMinor - loadedSpends[slot]!.spentMinor
            return change == 0 ? nil : MonthlySpend(slot: slot, spentMinor: change)
        }
    }

    /// The slots a call's credits count in that have a limit: its user's and its user's units'
    /// (as the user was when the call started), in the month it started.
    private func spendSlots(_ facts: CallFacts, startTime: Instant) -> [MonthlySpend.Slot] {
        facts.user.map { controls.limitedSpendSlots(of: $0, startTime: startTime) } ?? []
    }

    /// What the tightest of the limits leaves for more calls, and whose it is; nil without a limit.
    private func spendLeft(_ slots: [MonthlySpend.Slot]) -> (leftMinor: Int64, slot: MonthlySpend.Slot)? {
        slots.map { (spends[$0]!.leftMinor(under: controls.spendLimit(of: $0.spender)!), $0) }.min { $0.0 < $1.0 }
    }

    private mutating func addSpend(_ slots: [MonthlySpend.Slot], spent: Int64 = 0, held: Int64 = 0) {
        for slot in slots {
            spends[slot]!.spentMinor += spent
            spends[slot]!.heldMinor += held
            if spent != 0 { spentSlots.insert(slot) }
        }
    }

    /// Units each pool gained since it was loaded or last written.
    private var poolUse: [PoolSlot: Int64] {
        pools.compactMapValues { balance in
            let delta = balance.used - loadedPoolUse[PoolSlot(key: balance.key, month: balance.month)]!
            return delta == 0 ? nil : delta
        }
    }

    /// What the administrators hear of the requests so far: the conferencing pool thresholds
    /// they took its use across, records charged for unlicensed use, and users' spend limits.
    private var events: [CreditEvent] { poolEvents + unlicensedUseEvents + spendEvents + velocityEvents }

    /// Users and units whose spend crossed 80 % or 100 % of their limit, or who were refused for it.
    private var spendEvents: [CreditEvent] {
        var events: [CreditEvent] = []
        for slot in spentSlots.union(limitRefusals) {
            guard let limit = controls.spendLimit(of: slot.spender), let spend = spends[slot] else { continue }
            var percents = CreditAlerts.spendPercentagesReached(limitMinor: limit, before: loadedSpends[slot]!.spentMinor, after: spend.spentMinor)
            if limitRefusals.contains(slot), !percents.contains(100) { percents.append(100) }
            events += percents.map { percent in
                switch slot.spender {
                case let .user(upn): .spendLimitUsed(upn: upn, month: slot.month, percent: percent, limitMinor: limit)
                case let .unit(unit): .unitSpendLimitUsed(unit: unit, month: slot.month, percent: percent, limitMinor: limit)
                }
            }
        }
        return events.sorted { $0.key < $1.key }
    }

    /// Records of unlicensed use charged by `finishUploads`, one event a day (its key names the day).
    private var unlicensedUseEvents: [CreditEvent] = []
    private var firstUnlicensedUpload: String?

    /// The conferencing pool thresholds the requests so far took its use across (`CreditAlerts`).
    private var poolEvents: [CreditEvent] {
        pools.values.filter { $0.key == .conferencing }.flatMap { balance in
            let before = loadedPoolUse[PoolSlot(key: balance.key, month: balance.month)]!
            return CreditAlerts.poolPercentagesReached(capacity: balance.capacity, before: before, after: balance.used)
                .map { CreditEvent.conferencingPoolUsed(month: balance.month, percent: $0) }
        }
    }

    // MARK: Who pays

    private enum Payer {
        case free(Capability)
        case pool(PoolDraw, CalendarMonth)
        case credits(Capability)
        case postUsage
    }

    /// The first pool with time left, else the fallback; post-usage for an NCE/MCA tenant
    /// once its balance is used up and auto-recharge is off.
    private func payer(_ route: CallRoute, user: User?, month: CalendarMonth, balanceMinor: Int64) -> Result<Payer, CallRefusal> {
        for draw in route.pools where pools[PoolSlot(key: draw.key, month: month)]?.hasTimeLeft == true {
            return .success(.pool(draw, month))
        }
        switch route.fallback {
        case let .free(capability): return .success(.free(capability))
        case let .refused(reason): return .failure(reason)
        case let .credits(capability, licenseRequired):
            if PostUsageStatus(commerceModel: tenant.billingAccount.commerceModel, balanceMinor: balanceMinor, autoRecharge: autoRecharge).active {
                return .success(.postUsage)
            }
            if licenseRequired, user?.licenses.contains(.communicationsCredits) != true {
                return .failure(route.pools.isEmpty ? .creditsLicenseMissing : .poolExhausted)
            }
            return .success(.credits(capability))
        }
    }

    // MARK: Real time

    /// Rates the call, judges it by the destination rules, picks the payer, grants seconds and
    /// reserves their charge.
    public mutating func start(_ request: CallStart, facts: CallFacts, at now: Instant) -> (CallSession, CallAnswer) {
        let route = CallRoute.of(facts)
        let month = CalendarMonth(of: request.startTime)
        let rate = facts.rate
        var session = CallSession(
            id: request.sessionId,
            start: request,
            facts: facts,
            capability: nil,
            pool: nil,
            state: .refused,
            grantedSeconds: 0,
            usedSeconds: 0,
            heldMinor: 0,
            expiresAt: now,
            lastRequestNumber: request.requestNumber
        )
        if let rule = controls.destinationRefusal(facts) {
            return (session, CallAnswer(allowed: false, reason: .destinationBlocked, rateMicrosPerMinute: rate?.rateMicrosPerMinute, refusedBy: rule))
        }
        let payer: Payer
        switch self.payer(route, user: facts.user, month: month, balanceMinor: account.figures.balanceMinor) {
        case let .success(chosen): payer = chosen
        case let .failure(reason): return (session, .refused(reason, rate: rate))
        }
        var grant = settings.quotaSeconds
        var hold: Int64 = 0
        if case let .credits(capability) = payer {
            let balance = account.figures.availableMinor
            let left = spendLeft(spendSlots(facts, startTime: request.startTime))
            let available = min(balance, left?.leftMinor ?? .max)
            grant = available > 0 ? rate!.longestAffordableSeconds(availableMinor: available, limit: grant, in: tenant.currency) : 0
            guard grant > 0 else {
                guard let left, left.leftMinor < balance else { return (session, .refused(.insufficientBalance, capability: capability, rate: rate)) }
                limitRefusals.insert(left.slot)
                return (session, .refused(.spendLimitReached, capability: capability, rate: rate))
            }
            hold = rate!.chargeMinor(forDuration: grant, in: tenant.currency)
            if isSuspended(holding: hold, at: now), VelocityAlarm.suspends(facts) {
                return (session, .refused(.velocitySuspended, capability: capability, rate: rate))
            }
        }
        let capability = Self.capability(of: payer)
        var pool: PoolDraw?
        if case let .pool(draw, _) = payer { pool = draw }
        session = CallSession(
            id: request.sessionId,
            start: request,
            facts: facts,
            capability: capability,
            pool: pool,
            state: .open,
            grantedSeconds: grant,
            usedSeconds: 0,
            heldMinor: 0,
            expiresAt: now.adding(seconds: 2 * grant),
            lastRequestNumber: request.requestNumber
        )
        if hold > 0 { reserve(hold, on: &session, requestNumber: request.requestNumber, at: now) }
        let paid = capability.isCredits || capability == .postUsage
        return (
            session,
            CallAnswer(
                allowed: true,
                capability: capability,
                rateMicrosPerMinute: rate?.rateMicrosPerMinute,
                grantedSeconds: grant,
                connectionFeeMinor: paid ? rate?.connectionFeeMinor(in: tenant.currency) : nil,
                firstIncrementSeconds: rate?.firstIncrementSeconds,
                nextIncrementSeconds: rate?.nextIncrementSeconds,
                validUntil: session.expiresAt,
                finalGrant: capability.isCredits && grant < settings.quotaSeconds
            )
        )
    }

    /// *answer*: the callee answered. What is left of the grant counts from now, and so does the
    /// silent-session deadline: ringing does not eat the grant.
    public mutating func answer(_ session: inout CallSession, requestNumber: Int64, at now: Instant) -> CallAnswer {
        session.lastRequestNumber = requestNumber
        session.answeredAt = now
        let left = max(session.grantedSeconds - session.usedSeconds, 0)
        session.expiresAt = now.adding(seconds: 2 * left)
        extendBackstop(of: session, requestNumber: requestNumber, at: now)
        return CallAnswer(allowed: true, capability: session.capability, grantedSeconds: left, validUntil: session.expiresAt)
    }

    /// *cancel*: the call never connected. Its hold is released and no record is written.
    public mutating func cancel(_ session: inout CallSession, requestNumber: Int64, at now: Instant) -> CallAnswer {
        session.lastRequestNumber = requestNumber
        let charged = settleHold(of: session, chargeMinor: 0, at: now)
        session.state = .cancelled
        return CallAnswer(allowed: true, capability: session.capability, grantedSeconds: 0, chargeMinor: charged)
    }

    /// *update*: records the seconds used and grants up to another quota, as far as the
    /// available balance covers the longer call.
    public mutating func update(_ session: inout CallSession, requestNumber: Int64, usedSeconds: Int64, at now: Instant) -> CallAnswer {
        session.lastRequestNumber = requestNumber
        session.usedSeconds = max(session.usedSeconds, usedSeconds)
        let used = session.usedSeconds
        let limit = used + settings.quotaSeconds
        var total = limit
        var more: Int64 = 0
        if session.capability?.isCredits == true, let rate = session.facts.rate {
            let balance = account.figures.availableMinor
            let left = spendLeft(spendSlots(session.facts, startTime: session.start.startTime))?.leftMinor
            let available = min(balance, left ?? .max)
            let held = session.heldMinor
            total = Rate.longestAffordable(limit: limit, firstIncrement: rate.firstIncrementSeconds, nextIncrement: rate.nextIncrementSeconds) {
                rate.chargeMinor(billedSeconds: $0, in: tenant.currency) - held <= available
            }
            guard total > used else {
                let reason: CallRefusal = left.map { $0 < balance } == true ? .spendLimitReached : .insufficientBalance
                return CallAnswer(allowed: false, reason: reason, capability: session.capability, grantedSeconds: 0)
            }
            more = rate.chargeMinor(forDuration: total, in: tenant.currency) - held
            if isSuspended(holding: max(more, 0), at: now), VelocityAlarm.suspends(session.facts) {
                return CallAnswer(allowed: false, reason: .velocitySuspended, capability: session.capability, grantedSeconds: 0)
            }
        }
        let grant = total - used
        session.grantedSeconds = max(session.grantedSeconds, total)
        session.expiresAt = now.adding(seconds: 2 * grant)
        if more > 0 {
            reserve(more, on: &session, requestNumber: requestNumber, at: now)
        } else {
            extendBackstop(of: session, requestNumber: requestNumber, at: now)
        }
        return CallAnswer(
            allowed: true,
            capability: session.capability,
            grantedSeconds: grant,
            validUntil: session.expiresAt,
            finalGrant: total < limit
        )
    }

    /// *end*: charges the final duration (as `CallLimits.chargedSeconds` bounds it), releases
    /// the rest of the hold, writes the record. When the platform already uploaded a record
    /// under this usage id, that one stands and the hold is released.
    public mutating func end(
        _ session: inout CallSession,
        requestNumber: Int64,
        durationSeconds: Int64,
        endTime: Instant,
        recorded: UsageRecord?,
        at now: Instant
    ) -> CallAnswer {
        session.lastRequestNumber = requestNumber
        let record = recorded ?? close(&session, durationSeconds: durationSeconds, endTime: endTime, source: .realTime, at: now)
        if recorded != nil {
            settleHold(of: session, chargeMinor: 0, at: now)
            session.state = .ended
        }
        return CallAnswer(
            allowed: true,
            capability: record.capability,
            grantedSeconds: 0,
            chargeMinor: record.chargeMinor,
            connectionFeeMinor: record.connectionFeeMinor,
            usageId: record.usageId,
            durationSeconds: record.durationSeconds
        )
    }

    /// A late *end* of a session its time-out charged (`DOMAIN.md` section 7): the call's real
    /// duration replaces the time-out's record and charge, once. What the time-out charged
    /// beyond the real charge goes back to the lots it was spent from; a pool gets its units
    /// back. Refused, changing nothing, when the ledger cannot give the difference back (a hold
    /// settled before settled holds kept what they spent).
    public mutating func correct(
        _ session: inout CallSession,
        requestNumber: Int64,
        durationSeconds: Int64,
        endTime: Instant,
        replacing timedOut: UsageRecord,
        at now: Instant
    ) throws(Refusal) -> CallAnswer {
        let capability = session.capability!
        let (billed, charge, fee) = price(session.facts, capability: capability, durationSeconds: durationSeconds, messageUnits: 0)
        if capability.isCredits, timedOut.chargeMinor > charge {
            let request = LedgerRequest(
                key: IdempotencyKey(system: "call/\(session.id)/lateEnd"),
                command: .creditBack(holdId: session.holdId, amountMinor: timedOut.chargeMinor - charge)
            )
            if case let .failure(error) = account.execute(request, at: now, ids: &ids, recorded: [:]) {
                throw Refusal.lateEndUncorrectable(session.id, error)
            }
            addSpend(spendSlots(session.facts, startTime: session.start.startTime), spent: charge - timedOut.chargeMinor)
            countSpend(charge - timedOut.chargeMinor, at: now)
        }
        if let pool = session.pool { use(pool, month: CalendarMonth(of: session.start.startTime), billedSeconds: billed - timedOut.billedSeconds) }
        session.lastRequestNumber = requestNumber
        session.state = .ended
        session.usedSeconds = durationSeconds
        let record = usageRecord(
            usageId: session.id.rawValue,
            callId: timedOut.callId,
            conferenceId: nil,
            facts: session.facts,
            startTime: session.start.startTime,
            endTime: endTime,
            durationSeconds: durationSeconds,
            billedSeconds: billed,
            messageUnits: 0,
            feeMinor: fee,
            chargeMinor: capability.isCredits ? min(charge, timedOut.chargeMinor) : charge,
            capability: capability,
            pool: session.pool,
            source: .lateEnd,
            objectId: nil,
            administrativeUnits: AdministrativeUnit.listed(session.facts.user?.administrativeUnits ?? [])
        )
        records.append(record)
        replacedRecords.append(record.usageId)
        return CallAnswer(
            allowed: true,
            capability: capability,
            grantedSeconds: 0,
            chargeMinor: record.chargeMinor,
            connectionFeeMinor: fee,
            usageId: record.usageId,
            durationSeconds: durationSeconds,
            replacedChargeMinor: timedOut.chargeMinor
        )
    }

    /// A session whose platform went silent past its deadline: charged for the time granted.
    public mutating func expire(_ session: inout CallSession, recorded: UsageRecord?, at now: Instant) {
        if recorded != nil {
            settleHold(of: session, chargeMinor: 0, at: now)
            session.state = .expired
        } else {
            _ = close(
                &session,
                durationSeconds: session.grantedSeconds,
                endTime: session.start.startTime.adding(seconds: session.grantedSeconds),
                source: .timeout,
                at: now
            )
        }
    }

    private mutating func close(
        _ session: inout CallSession,
        durationSeconds: Int64,
        endTime: Instant,
        source: UsageRecord.Source,
        at now: Instant
    ) -> UsageRecord {
        let capability = session.capability!
        var (billed, charge, fee) = price(session.facts, capability: capability, durationSeconds: durationSeconds, messageUnits: 0)
        if let pool = session.pool { use(pool, month: CalendarMonth(of: session.start.startTime), billedSeconds: billed) }
        if capability.isCredits { charge = settleHold(of: session, chargeMinor: charge, at: now) }
        session.state = source == .timeout ? .expired : .ended
        session.usedSeconds = durationSeconds
        let record = usageRecord(
            usageId: session.id.rawValue,
            callId: session.start.callId ?? session.id.rawValue,
            conferenceId: nil,
            facts: session.facts,
            startTime: session.start.startTime,
            endTime: endTime,
            durationSeconds: durationSeconds,
            billedSeconds: billed,
            messageUnits: 0,
            feeMinor: fee,
            chargeMinor: charge,
            capability: capability,
            pool: session.pool,
            source: source,
            objectId: nil,
            administrativeUnits: AdministrativeUnit.listed(session.facts.user?.administrativeUnits ?? [])
        )
        records.append(record)
        return record
    }

    // MARK: After the fact

    /// Prices an uploaded record and charges it: the call happened, so nothing refuses it
    /// except a rate that is missing (`FREECALL`) and credits may go into debt, up to
    /// `CallLimits.maximumDebtMinor`; a record beyond that bound, or beyond what one charge
    /// may be, is refused.
    public mutating func record(_ upload: UsageUpload, facts: CallFacts) throws(Refusal) -> UsageRecord {
        let route = CallRoute.of(facts)
        let month = CalendarMonth(of: upload.startTime)
        let balance = account.figures.balanceMinor - uploadCreditsMinor
        var capability: Capability
        var pool: PoolDraw?
        var unlicensed = false
        switch payer(route, user: facts.user, month: month, balanceMinor: balance) {
        case let .success(payer):
            capability = Self.capability(of: payer)
            if case let .pool(draw, _) = payer { pool = draw }
        case .failure(.unknownDestination):
            capability = .freeCall
        case .failure:
            // Refused in real time for a license or calling plan the user lacks, but it took
            // place: the balance pays, as for any late record, and the record says so.
            capability = .communicationsCredits
            unlicensed = true
        }
        let (billed, charge, fee) = price(facts, capability: capability, durationSeconds: upload.durationSeconds, messageUnits: upload.messageUnits)
        if capability.isCredits, balance - charge < -CallLimits.maximumDebtMinor || uploadCreditsMinor + charge > LedgerLimits.maximumAmountMinor {
            throw Refusal(
                .debtLimitReached,
                detail:
                    "Record \(upload.usageId) would take the batch's charge or the tenant's debt beyond \(CallLimits.maximumDebtMinor) minor units.",
                remedy: "Check the rate deck and the record's duration and message units."
            )
        }
        if let pool { use(pool, month: month, billedSeconds: billed) }
        if capability.isCredits, charge > 0 {
            addSpend(spendSlots(facts, startTime: upload.startTime), spent: charge)
            uploadCreditsMinor += charge
            if firstChargedUpload == nil { firstChargedUpload = upload.usageId.rawValue }
        }
        if unlicensed, firstUnlicensedUpload == nil { firstUnlicensedUpload = upload.usageId.rawValue }
        let end = upload.startTime.adding(seconds: upload.durationSeconds)
        let record = usageRecord(
            usageId: upload.usageId.rawValue,
            callId: upload.callId ?? upload.usageId.rawValue,
            conferenceId: upload.conferenceId,
            facts: facts,
            startTime: upload.startTime,
            endTime: end,
            durationSeconds: upload.durationSeconds,
            billedSeconds: billed,
            messageUnits: facts.callType.isSMS ? upload.messageUnits : 0,
            feeMinor: fee,
            chargeMinor: charge,
            capability: capability,
            pool: pool,
            source: .upload,
            objectId: upload.userObjectId,
            administrativeUnits: upload.administrativeUnits ?? AdministrativeUnit.listed(facts.user?.administrativeUnits ?? []),
            unlicensedUse: unlicensed
        )
        records.append(record)
        return record
    }

    /// Charges the credits the uploaded records owe, oldest funds first, as one transaction;
    /// what the balance does not cover becomes debt. The records themselves are what keeps a
    /// batch from being charged twice (by usage id), so the ledger's key only names the charge:
    /// by its first record and its instant, since a usage id purged after the retention may
    /// come again as a new record.
    public mutating func finishUploads(at now: Instant) {
        if let unlicensed = firstUnlicensedUpload {
            unlicensedUseEvents.append(.unlicensedUse(day: now.civilDateAndTime.date, usageId: unlicensed))
            firstUnlicensedUpload = nil
        }
        guard uploadCreditsMinor > 0, let first = firstChargedUpload else { return }
        let request = LedgerRequest(
            key: IdempotencyKey(system: "usage/\(first)/\(now.millisecondsSinceEpoch)"),
            command: .charge(amountMinor: uploadCreditsMinor, coverage: .mayIncurDebt)
        )
        let charged = account.execute(request, at: now, ids: &ids, recorded: [:])
        // `record` keeps the amount within what one charge may be, so this cannot be refused.
        if case let .failure(error) = charged { preconditionFailure("the uploads' charge was refused: \(error)") }
        creditsChargedMinor += uploadCreditsMinor
        countSpend(uploadCreditsMinor, at: now)
        _ = isSuspended(holding: 0, at: now)
        uploadCreditsMinor = 0
        firstChargedUpload = nil
    }

    // MARK: Money

    /// Billed seconds, charge and connection fee of a call paid by `capability`. Only credits
    /// and post-usage calls cost anything; an SMS costs its message units times the rate.
    private func price(
        _ facts: CallFacts,
        capability: Capability,
        durationSeconds: Int64,
        messageUnits: Int64
    ) -> (billed: Int64, charge: Int64, fee: Int64) {
        guard let rate = facts.rate else { return (durationSeconds, 0, 0) }
        if facts.callType.isSMS {
            precondition(messageUnits <= CallLimits.maximumMessageUnits, "message units are bounded by CallLimits")
            let paid = capability.isCredits || capability == .postUsage
            return (
                0, paid ? Rate.roundHalfUp(rate.rateMicrosPerMinute * max(messageUnits, 0), over: Rate.microsPerMinorUnit(tenant.currency)) : 0, 0
            )
        }
        let billed = rate.billedSeconds(forDuration: durationSeconds)
        guard capability.isCredits || capability == .postUsage, billed > 0 else { return (billed, 0, 0) }
        return (billed, rate.chargeMinor(billedSeconds: billed, in: tenant.currency), rate.connectionFeeMinor(in: tenant.currency))
    }

    private mutating func use(_ draw: PoolDraw, month: CalendarMonth, billedSeconds: Int64) {
        pools[PoolSlot(key: draw.key, month: month)]!.used += billedSeconds * draw.unitsPerSecond
    }

    private mutating func reserve(_ amountMinor: Int64, on session: inout CallSession, requestNumber: Int64, at now: Instant) {
        let expiresAt = session.expiresAt.adding(seconds: settings.holdBackstopSeconds)
        let command: LedgerCommand =
            session.heldMinor == 0
            ? .reserve(holdId: session.holdId, amountMinor: amountMinor, expiresAt: expiresAt)
            : .extendHold(holdId: session.holdId, additionalMinor: amountMinor, expiresAt: expiresAt)
        let key = IdempotencyKey(system: "call/\(session.id)/\(requestNumber)")
        // The amount is within the available balance and the hold is this session's, open.
        if case let .failure(error) = account.execute(LedgerRequest(key: key, command: command), at: now, ids: &ids, recorded: [:]) {
            preconditionFailure("the call's hold was refused: \(error)")
        }
        session.heldMinor += amountMinor
        addSpend(spendSlots(session.facts, startTime: session.start.startTime), held: amountMinor)
    }

    /// Moves the ledger's backstop along with the session's new deadline.
    private mutating func extendBackstop(of session: CallSession, requestNumber: Int64, at now: Instant) {
        guard session.heldMinor > 0, holdIsOpen(session, at: now) else { return }
        let key = IdempotencyKey(system: "call/\(session.id)/\(requestNumber)/deadline")
        let request = LedgerRequest(
            key: key,
            command: .extendHold(
                holdId: session.holdId,
                additionalMinor: 0,
                expiresAt: session.expiresAt.adding(seconds: settings.holdBackstopSeconds)
            )
        )
        if case let .failure(error) = account.execute(request, at: now, ids: &ids, recorded: [:]) {
            preconditionFailure("moving the call's hold deadline was refused: \(error)")
        }
    }

    /// Whether the session's hold is still open once everything due by `now` is settled: the
    /// ledger's backstop times a hold out (posting it in full) when the service was down for
    /// longer than the backstop, and then the session's own charge is what the time-out took.
    private mutating func holdIsOpen(_ session: CallSession, at now: Instant) -> Bool {
        account.settleDue(at: now, ids: &ids)
        return account.openHolds[session.holdId] != nil
    }

    /// Posts the call's charge against its hold (debt where the hold falls short), or charges
    /// it outright when nothing was held; returns what the call was charged: all it held when the
    /// ledger's backstop had already timed the hold out.
    @discardableResult
    private mutating func settleHold(of session: CallSession, chargeMinor: Int64, at now: Instant) -> Int64 {
        let key = IdempotencyKey(system: "call/\(session.id)/end")
        let slots = spendSlots(session.facts, startTime: session.start.startTime)
        let command: LedgerCommand
        if session.heldMinor > 0 {
            guard holdIsOpen(session, at: now) else {
                creditsChargedMinor += session.heldMinor
                countSpend(session.heldMinor, at: now)
                addSpend(slots, spent: session.heldMinor, held: -session.heldMinor)
                return session.heldMinor
            }
            command = .postHold(holdId: session.holdId, amountMinor: chargeMinor)
        } else if chargeMinor > 0 {
            command = .charge(amountMinor: chargeMinor, coverage: .mayIncurDebt)
        } else {
            return 0
        }
        // The hold is open (checked above) and a charge may incur debt: nothing refuses it.
        if case let .failure(error) = account.execute(LedgerRequest(key: key, command: command), at: now, ids: &ids, recorded: [:]) {
            preconditionFailure("the call's charge was refused: \(error)")
        }
        creditsChargedMinor += chargeMinor
        countSpend(chargeMinor, at: now)
        addSpend(slots, spent: chargeMinor, held: -session.heldMinor)
        return chargeMinor
    }

    // MARK: Velocity alarm

    /// Counts a credit charge in the sliding hour, while the alarm is on.
    private mutating func countSpend(_ amountMinor: Int64, at now: Instant) {
        guard controls.velocity.isOn, amountMinor != 0 else { return }
        slideHour(to: now)
        recentSpend.add(amountMinor, at: now)
        spendMinuteChanges[SpendMinutes.minute(of: now), default: 0] += amountMinor
    }

    /// Forgets the minutes the sliding hour left behind, here and (`Changes`) in the store.
    private mutating func slideHour(to now: Instant) {
        if recentSpend.slide(to: now) { forgetsSpendBefore = SpendMinutes.firstMinute(at: now) }
    }

    /// Whether international and premium credit-paid calls are suspended, once `moreMinor` is
    /// held for a call: the alarm trips when the spend of the sliding hour (the minutes' charges
    /// and every open hold) would pass its threshold, and tells the administrators once.
    private mutating func isSuspended(holding moreMinor: Int64, at now: Instant) -> Bool {
        let alarm = controls.velocity
        guard alarm.suspension == nil else { return true }
        guard let threshold = alarm.thresholdMinor else { return false }
        slideHour(to: now)
        let spent = recentSpend.totalMinor + account.figures.heldMinor + moreMinor
        guard alarm.isTripped(bySpend: spent) else { return false }
        let suspension = VelocitySuspension(since: now, spentMinor: spent, thresholdMinor: threshold)
        controls.velocity.suspension = suspension
        controlsChanged = true
        velocityEvents.append(.velocityAlarm(suspension))
        controlLines.append(
            ControlChange(
                tenantId: tenant.id,
                at: now,
                actor: "velocity alarm",
                subject: "International and premium calls paid from the credits",
                before: "allowed",
                after: "suspended: \(MoneyText.forPeople(spent, tenant.currency)) in an hour, over \(MoneyText.forPeople(threshold, tenant.currency))"
            )
        )
        return true
    }

    private static func capability(of payer: Payer) -> Capability {
        switch payer {
        case let .free(capability), let .credits(capability): capability
        case let .pool(draw, _): draw.key.capability
        case .postUsage: .postUsage
        }
    }

    private func usageRecord(
        usageId: String,
        callId: String,
        conferenceId: String?,
        facts: CallFacts,
        startTime: Instant,
        endTime: Instant,
        durationSeconds: Int64,
        billedSeconds: Int64,
        messageUnits: Int64,
        feeMinor: Int64,
        chargeMinor: Int64,
        capability: Capability,
        pool: PoolDraw?,
        source: UsageRecord.Source,
        objectId: String?,
        administrativeUnits: String?,
        unlicensedUse: Bool = false
    ) -> UsageRecord {
        UsageRecord(
            usageId: usageId,
            callId: callId,
            conferenceId: conferenceId,
            userLocation: facts.user?.usageLocation,
            userObjectId: objectId,
            upn: facts.user?.upn,
            userDisplayName: facts.user?.displayName,
            callerNumber: facts.caller,
            callType: facts.callType,
            numberType: facts.rate?.numberType,
            isDomestic: facts.isDomestic,
            destinationName: facts.rate?.destination,
            destinationNumber: facts.callee,
            externalCountry: facts.externalCountry,
            startTime: startTime,
            endTime: endTime,
            durationSeconds: durationSeconds,
            billedSeconds: billedSeconds,
            messageUnits: messageUnits,
            connectionFeeMinor: feeMinor,
            chargeMinor: chargeMinor,
            currency: tenant.currency,
            capability: capability,
            pool: pool?.key,
            poolUnits: pool.map { billedSeconds * $0.unitsPerSecond } ?? 0,
            source: source,
            administrativeUnits: administrativeUnits,
            unlicensedUse: unlicensedUse
        )
    }
}
