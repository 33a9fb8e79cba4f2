/// One tenant's credits and the rules of `DOMAIN.md` section 5 that move them.
///
/// A store loads the account (its live lots, its debt and the holds the requests name),
/// applies requests to it, and writes back what `takeChanges()` returns, all in one
/// database transaction. Every request is first checked, then applied: a refused request
/// changes nothing.
public struct CreditAccount: Sendable {
    public let tenantId: TenantId
    public let currency: Currency
    /// Lots with money free or held, in the order of use.
    public private(set) var liveLots: [Lot]
    /// The open holds the store loaded: at least those the requests name and those due.
    public private(set) var openHolds: [HoldId: Hold]
    /// Holds known to be settled, so that a request naming one is refused as such, with what
    /// each lot gave to the settlement (for a credit-back).
    public private(set) var settledHolds: [HoldId: Hold]
    /// Lots with nothing free or held, spent in this batch or loaded for a credit-back that
    /// returns funds to them.
    private var spentLots: [LotId: Lot] = [:]
    public private(set) var debtMinor: Int64
    private var earliestOpenHoldExpiry: Instant?
    private var changes = LedgerChanges()

    public init(
        tenantId: TenantId,
        currency: Currency,
        liveLots: [Lot],
        holds: [Hold],
        debtMinor: Int64
    ) {
        precondition(debtMinor >= 0, "debt is owed, never negative")
        self.tenantId = tenantId
        self.currency = currency
        self.liveLots = liveLots.filter(\.isLive).sorted(by: Lot.consumedBefore)
        self.openHolds = Dictionary(uniqueKeysWithValues: holds.filter { $0.state == .open }.map { ($0.id, $0) })
        self.settledHolds = Dictionary(uniqueKeysWithValues: holds.filter { $0.state != .open }.map { ($0.id, $0) })
        self.debtMinor = debtMinor
        self.earliestOpenHoldExpiry = openHolds.values.map(\.expiresAt).min()
    }

    /// Adds holds the store loaded later, for requests that name them; holds already known stay as they are.
    public mutating func know(_ holds: [Hold]) {
        for hold in holds where !knows(hold.id) {
            if hold.state == .open {
                openHolds[hold.id] = hold
                earliestOpenHoldExpiry = min(earliestOpenHoldExpiry ?? hold.expiresAt, hold.expiresAt)
            } else {
                settledHolds[hold.id] = hold
            }
        }
    }

    /// The lots a credit-back of this settled hold returns funds to that the account has not
    /// loaded (they had nothing left, or were never live here).
    public func lotsToLoad(forCreditBackOf holdId: HoldId) -> Set<LotId> {
        Set((settledHolds[holdId]?.allocations ?? []).map(\.lotId).filter { !hasLot($0) })
    }

    /// Adds lots the store loaded for a credit-back; lots already known stay as they are.
    public mutating func know(lots: [Lot]) {
        for lot in lots where !hasLot(lot.id) {
            if lot.isLive {
                insertLive(lot)
            } else {
                spentLots[lot.id] = lot
            }
        }
    }

    /// Whether the account holds this hold, open or settled.
    public func knows(_ holdId: HoldId) -> Bool { openHolds[holdId] != nil || settledHolds[holdId] != nil }

    /// Forgets the settled holds, so that an account kept in memory does not grow with every
    /// call; a request naming one again has the store load it (`know`).
    public mutating func forgetSettledHolds() {
        settledHolds.removeAll(keepingCapacity: true)
        spentLots.removeAll()
    }

    // MARK: Figures

    /// The figures once everything due is settled (no expired lot has free funds then).
    public var figures: CreditFigures {
        CreditFigures(
            freeMinor: liveLots.reduce(0) { $0 + $1.freeMinor },
            heldMinor: liveLots.reduce(0) { $0 + $1.heldMinor },
            debtMinor: debtMinor
        )
    }

    private var availableMinor: Int64 { figures.availableMinor }

    // MARK: Requests

    /// Applies a request once. A key seen before returns its first receipt when the content is
    /// the same and is refused when it differs; `recorded` holds what the store remembers of
    /// the keys at hand. Anything due by `now` (expiries, time-outs) is settled first.
    public mutating func execute(
        _ request: LedgerRequest,
        at now: Instant,
        ids: inout LedgerIdAllocator,
        recorded: [IdempotencyKey: RecordedRequest]
    ) -> Result<LedgerReceipt, LedgerError> {
        let fingerprint = request.command.fingerprint
        if let prior = changes.recorded(request.key) ?? recorded[request.key] {
            return prior.fingerprint == fingerprint ? .success(prior.receipt) : .failure(.idempotencyConflict(request.key))
        }
        settleDue(at: now, ids: &ids)
        do {
            var draft = try apply(request.command, at: now, ids: &ids)
            return .success(commit(&draft, key: request.key, fingerprint: fingerprint, ids: &ids))
        } catch {
            return .failure(error)
        }
    }

    /// Forfeits the free remainder of every lot expired by `now` and posts in full every hold
    /// whose time ran out, each as its own transaction, in the order they fell due.
    public mutating func settleDue(at now: Instant, ids: inout LedgerIdAllocator) {
        if changes.openingBalanceMinor == nil { changes.openingBalanceMinor = figures.balanceMinor }
        enum Due {
            case holdTimeout(HoldId)
            case lotExpiry(LotId)
        }
        var due: [(at: Instant, rank: Int, event: Due)] = []
        if let earliest = earliestOpenHoldExpiry, earliest <= now {
            for hold in openHolds.values where hold.expiresAt <= now {
                due.append((hold.expiresAt, 0, .holdTimeout(hold.id)))
            }
            earliestOpenHoldExpiry = openHolds.values.lazy.map(\.expiresAt).filter { $0 > now }.min()
        }
        for lot in liveLots {
            guard lot.isExpired(at: now) else { break }
            if lot.freeMinor > 0 { due.append((lot.expiresAt, 1, .lotExpiry(lot.id))) }
        }
        due.sort { ($0.at, $0.rank) < ($1.at, $1.rank) }
        for item in due {
            switch item.event {
            case let .holdTimeout(holdId):
                var draft = TransactionDraft(kind: .holdTimeout, at: item.at, amountMinor: openHolds[holdId]!.openMinor)
                settle(holdId, spendingMinor: draft.amountMinor, as: .timedOut, into: &draft)
                commit(&draft, key: IdempotencyKey(system: "timeout/\(holdId)"), fingerprint: "holdTimeout hold=\(holdId)", ids: &ids)
            case let .lotExpiry(lotId):
                let index = liveLots.firstIndex { $0.id == lotId }!
                var draft = TransactionDraft(kind: .lotExpiry, at: item.at, amountMinor: liveLots[index].freeMinor)
                draft.lotId = lotId
                forfeitFree(lotAt: index, into: &draft)
                commit(&draft, key: IdempotencyKey(system: "expiry/\(lotId)"), fingerprint: "lotExpiry lot=\(lotId)", ids: &ids)
            }
        }
        pruneSpentLots()
    }

    /// Everything changed since the last call, for the store to write.
    public mutating func takeChanges() -> LedgerChanges {
        defer { changes = LedgerChanges() }
        return changes
    }

    // MARK: The rules of each command

    private mutating func apply(_ command: LedgerCommand, at now: Instant, ids: inout LedgerIdAllocator) throws(LedgerError) -> TransactionDraft {
        switch command {
        case let .addFunds(source, amount):
            try Self.check(amount, minimum: 1)
            var draft = TransactionDraft(kind: source == .purchase ? .purchase : .recharge, at: now, amountMinor: amount)
            draft.lotId = addLot(id: ids.lotId(), source: source, amountMinor: amount, at: now, into: &draft)
            repayDebt(into: &draft)
            return draft

        case let .charge(amount, coverage):
            try Self.check(amount, minimum: 1)
            if coverage == .availableOnly, amount > availableMinor {
                throw .insufficientBalance(availableMinor: availableMinor)
            }
            var draft = TransactionDraft(kind: .charge, at: now, amountMinor: amount)
            spendFree(amount, into: &draft)
            return draft

        case let .reserve(holdId, amount, expiresAt):
            try Self.check(amount, minimum: 1)
            if openHolds[holdId] != nil || settledHolds[holdId] != nil { throw .holdAlreadyExists(holdId) }
            guard expiresAt > now else { throw .holdExpiryNotInFuture(holdId) }
            guard amount <= availableMinor else { throw .insufficientBalance(availableMinor: availableMinor) }
            var draft = TransactionDraft(kind: .reserve, at: now, amountMinor: amount)
            draft.holdId = holdId
            openHolds[holdId] = Hold(
                id: holdId,
                state: .open,
                reservedMinor: 0,
                openMinor: 0,
                postedMinor: 0,
                allocations: [],
                createdAt: now,
                expiresAt: expiresAt,
                settledAt: nil
            )
            reserveMore(amount, on: holdId, until: expiresAt, into: &draft)
            return draft

        case let .extendHold(holdId, additional, expiresAt):
            try Self.check(additional, minimum: 0)
            try requireOpen(holdId)
            guard expiresAt > now else { throw .holdExpiryNotInFuture(holdId) }
            // Moving only the deadline spends nothing: it needs no funds, even with the balance in debt.
            guard additional == 0 || additional <= availableMinor else { throw .insufficientBalance(availableMinor: availableMinor) }
            var draft = TransactionDraft(kind: .extendHold, at: now, amountMinor: additional)
            draft.holdId = holdId
            reserveMore(additional, on: holdId, until: expiresAt, into: &draft)
            return draft

        case let .postHold(holdId, amount):
            try Self.check(amount, minimum: 0)
            try requireOpen(holdId)
            var draft = TransactionDraft(kind: .postHold, at: now, amountMinor: amount)
            settle(holdId, spendingMinor: amount, as: .posted, into: &draft)
            return draft

        case let .voidHold(holdId):
            try requireOpen(holdId)
            var draft = TransactionDraft(kind: .voidHold, at: now, amountMinor: 0)
            settle(holdId, spendingMinor: 0, as: .voided, into: &draft)
            return draft

        case let .refund(lotId, amount):
            try Self.check(amount, minimum: 1)
            guard let index = liveLots.firstIndex(where: { $0.id == lotId }), liveLots[index].freeMinor >= amount else {
                throw .refundExceedsFreeFunds(lotId, freeMinor: liveLots.first { $0.id == lotId }?.freeMinor ?? 0)
            }
            var draft = TransactionDraft(kind: .refund, at: now, amountMinor: amount)
            draft.lotId = lotId
            updateLot(at: index) {
                $0.freeMinor -= amount
                $0.refundedMinor += amount
            }
            draft.post(.lotFree, lot: lotId, -amount)
            draft.post(.funding, lot: lotId, amount)
            return draft

        case let .creditBack(holdId, amount):
            try Self.check(amount, minimum: 1)
            try requireSettled(holdId)
            var hold = settledHolds[holdId]!
            let returnable = hold.allocations.reduce(0) { $0 + $1.amountMinor }
            guard amount <= returnable, hold.allocations.allSatisfy({ hasLot($0.lotId) }) else {
                throw .creditBackExceedsSpent(holdId, spentMinor: returnable)
            }
            var draft = TransactionDraft(kind: .creditBack, at: now, amountMinor: amount)
            draft.holdId = holdId
            var left = amount
            for index in hold.allocations.indices.reversed() where left > 0 {
                let part = min(left, hold.allocations[index].amountMinor)
                giveBack(part, to: hold.allocations[index].lotId, at: now, into: &draft)
                hold.allocations[index].amountMinor -= part
                left -= part
            }
            hold.allocations.removeAll { $0.amountMinor == 0 }
            hold.postedMinor -= amount
            settledHolds[holdId] = hold
            changes.holds[holdId] = hold
            draft.post(.consumption, -amount)
            draft.consumedMinor -= amount
            repayDebt(into: &draft)
            return draft
        }
    }

    private static func check(_ amount: Int64, minimum: Int64) throws(LedgerError) {
        guard amount >= minimum, amount <= LedgerLimits.maximumAmountMinor else {
            throw .invalidAmount(minimumMinor: minimum, maximumMinor: LedgerLimits.maximumAmountMinor)
        }
    }

    private func requireOpen(_ holdId: HoldId) throws(LedgerError) {
        if let hold = settledHolds[holdId] { throw .holdNotOpen(holdId, hold.state) }
        guard openHolds[holdId] != nil else { throw .unknownHold(holdId) }
    }

    /// A hold that spent something: posted, or timed out (a voided one spent nothing).
    private func requireSettled(_ holdId: HoldId) throws(LedgerError) {
        if openHolds[holdId] != nil { throw .holdNotSettled(holdId) }
        guard settledHolds[holdId] != nil else { throw .unknownHold(holdId) }
    }

    /// Whether the account has the lot: live, or loaded for a credit-back.
    private func hasLot(_ lotId: LotId) -> Bool {
        spentLots[lotId] != nil || liveLots.contains { $0.id == lotId }
    }

    // MARK: Movements (each keeps its entries balanced and the lots in step)

    private mutating func addLot(id: LotId, source: Lot.Source, amountMinor: Int64, at now: Instant, into draft: inout TransactionDraft) -> LotId {
        let lot = Lot.bought(id: id, source: source, amountMinor: amountMinor, at: now)
        insertLive(lot)
        changes.lots[lot.id] = lot
        draft.post(.funding, lot: lot.id, -amountMinor)
        draft.post(.lotFree, lot: lot.id, amountMinor)
        return lot.id
    }

    /// Puts a lot among the live ones in its place in the order of use.
    private mutating func insertLive(_ lot: Lot) {
        liveLots.insert(lot, at: liveLots.firstIndex { Lot.consumedBefore(lot, $0) } ?? liveLots.endIndex)
    }

    /// Takes up to `amountMinor` from the free funds, oldest lot first.
    private mutating func takeFree(upTo amountMinor: Int64) -> [Hold.Allocation] {
        var wanted = amountMinor
        var taken: [Hold.Allocation] = []
        for index in liveLots.indices where wanted > 0 && liveLots[index].freeMinor > 0 {
            let amount = min(wanted, liveLots[index].freeMinor)
            updateLot(at: index) { $0.freeMinor -= amount }
            taken.append(Hold.Allocation(lotId: liveLots[index].id, amountMinor: amount))
            wanted -= amount
        }
        return taken
    }

    /// Spends from the free funds, oldest first; what they do not cover becomes debt.
    private mutating func spendFree(_ amountMinor: Int64, into draft: inout TransactionDraft) {
        var uncovered = amountMinor
        for part in takeFree(upTo: amountMinor) {
            draft.post(.lotFree, lot: part.lotId, -part.amountMinor)
            uncovered -= part.amountMinor
        }
        draft.post(.consumption, amountMinor)
        draft.consumedMinor += amountMinor
        if uncovered > 0 {
            debtMinor += uncovered
            changes.debtChanged = true
            draft.post(.debt, -uncovered)
            draft.debtIncurredMinor += uncovered
        }
    }

    /// New funds pay debt back first.
    private mutating func repayDebt(into draft: inout TransactionDraft) {
        guard debtMinor > 0 else { return }
        for part in takeFree(upTo: debtMinor) {
            draft.post(.lotFree, lot: part.lotId, -part.amountMinor)
            draft.post(.debt, part.amountMinor)
            debtMinor -= part.amountMinor
            draft.debtRepaidMinor += part.amountMinor
            changes.debtChanged = true
        }
    }

    private mutating func reserveMore(_ amountMinor: Int64, on holdId: HoldId, until expiresAt: Instant, into draft: inout TransactionDraft) {
        var hold = openHolds[holdId]!
        for part in takeFree(upTo: amountMinor) {
            let index = liveLots.firstIndex { $0.id == part.lotId }!
            updateLot(at: index) { $0.heldMinor += part.amountMinor }
            draft.post(.lotFree, lot: part.lotId, -part.amountMinor)
            draft.post(.lotHeld, lot: part.lotId, hold: holdId, part.amountMinor)
            if let existing = hold.allocations.firstIndex(where: { $0.lotId == part.lotId }) {
                hold.allocations[existing].amountMinor += part.amountMinor
            } else {
                hold.allocations.append(part)
            }
        }
        let order = Dictionary(uniqueKeysWithValues: liveLots.enumerated().map { ($1.id, $0) })
        hold.allocations.sort { order[$0.lotId]! < order[$1.lotId]! }
        hold.reservedMinor += amountMinor
        hold.openMinor += amountMinor
        hold.expiresAt = expiresAt
        openHolds[holdId] = hold
        changes.holds[holdId] = hold
        earliestOpenHoldExpiry = min(earliestOpenHoldExpiry ?? expiresAt, expiresAt)
        pruneSpentLots()
    }

    /// Spends `spendingMinor` from the hold first (in the order of use), then from free funds
    /// and debt; gives the rest of the hold back (forfeited where its lot has expired).
    private mutating func settle(_ holdId: HoldId, spendingMinor: Int64, as state: Hold.State, into draft: inout TransactionDraft) {
        var hold = openHolds.removeValue(forKey: holdId)!
        let at = draft.occurredAt
        draft.holdId = holdId
        var fromHold = min(spendingMinor, hold.openMinor)
        var spentParts: [Hold.Allocation] = []
        for allocation in hold.allocations {
            let index = liveLots.firstIndex { $0.id == allocation.lotId }!
            let spent = min(fromHold, allocation.amountMinor)
            let released = allocation.amountMinor - spent
            fromHold -= spent
            if spent > 0 { spentParts.append(Hold.Allocation(lotId: allocation.lotId, amountMinor: spent)) }
            let expired = liveLots[index].isExpired(at: at)
            updateLot(at: index) {
                $0.heldMinor -= allocation.amountMinor
                if expired { $0.forfeitedMinor += released } else { $0.freeMinor += released }
            }
            draft.post(.lotHeld, lot: allocation.lotId, hold: holdId, -allocation.amountMinor)
            draft.post(expired ? .forfeiture : .lotFree, lot: allocation.lotId, released)
            draft.releasedMinor += released
            if expired { draft.forfeitedMinor += released }
        }
        let spentFromHold = min(spendingMinor, hold.openMinor)
        draft.post(.consumption, spentFromHold)
        draft.consumedMinor += spentFromHold
        if spendingMinor > spentFromHold {
            spendFree(spendingMinor - spentFromHold, into: &draft)
        }
        repayDebt(into: &draft)
        hold.state = state
        hold.openMinor = 0
        hold.postedMinor = spendingMinor
        hold.allocations = spentParts
        hold.settledAt = at
        settledHolds[holdId] = hold
        changes.holds[holdId] = hold
        pruneSpentLots()
    }

    /// Returns consumed funds to a lot: free again, or forfeited at once where the lot has
    /// expired since (its free funds would have been).
    private mutating func giveBack(_ amountMinor: Int64, to lotId: LotId, at now: Instant, into draft: inout TransactionDraft) {
        if let spent = spentLots.removeValue(forKey: lotId) { insertLive(spent) }
        let index = liveLots.firstIndex { $0.id == lotId }!
        let expired = liveLots[index].isExpired(at: now)
        updateLot(at: index) {
            if expired { $0.forfeitedMinor += amountMinor } else { $0.freeMinor += amountMinor }
        }
        draft.post(expired ? .forfeiture : .lotFree, lot: lotId, amountMinor)
        if expired { draft.forfeitedMinor += amountMinor }
    }

    private mutating func forfeitFree(lotAt index: Int, into draft: inout TransactionDraft) {
        let amount = liveLots[index].freeMinor
        updateLot(at: index) {
            $0.freeMinor = 0
            $0.forfeitedMinor += amount
        }
        draft.post(.lotFree, lot: liveLots[index].id, -amount)
        draft.post(.forfeiture, lot: liveLots[index].id, amount)
        draft.forfeitedMinor += amount
    }

    private mutating func updateLot(at index: Int, _ change: (inout Lot) -> Void) {
        change(&liveLots[index])
        let lot = liveLots[index]
        precondition(lot.freeMinor >= 0 && lot.heldMinor >= 0 && lot.consumedMinor >= 0, "a lot never goes below zero")
        changes.lots[lot.id] = lot
    }

    /// Drops lots with nothing free or held from the live ones, keeping them aside until the
    /// batch's end for a credit-back.
    private mutating func pruneSpentLots() {
        guard liveLots.contains(where: { !$0.isLive }) else { return }
        for lot in liveLots where !lot.isLive { spentLots[lot.id] = lot }
        liveLots.removeAll { !$0.isLive }
    }

    @discardableResult
    private mutating func commit(
        _ draft: inout TransactionDraft,
        key: IdempotencyKey,
        fingerprint: String,
        ids: inout LedgerIdAllocator
    ) -> LedgerReceipt {
        pruneSpentLots()
        let receipt = LedgerReceipt(
            transactionId: ids.transactionId(),
            kind: draft.kind,
            occurredAt: draft.occurredAt,
            amountMinor: draft.amountMinor,
            consumedMinor: draft.consumedMinor,
            debtIncurredMinor: draft.debtIncurredMinor,
            debtRepaidMinor: draft.debtRepaidMinor,
            releasedMinor: draft.releasedMinor,
            forfeitedMinor: draft.forfeitedMinor,
            lotId: draft.lotId,
            holdId: draft.holdId,
            balanceAfterMinor: figures.balanceMinor,
            availableAfterMinor: figures.availableMinor
        )
        changes.append(JournalTransaction(idempotencyKey: key, fingerprint: fingerprint, entries: draft.entries, receipt: receipt))
        return receipt
    }
}

/// What a set of requests changed: the transactions to append and the final state of every
/// lot and hold they touched.
public struct LedgerChanges: Sendable {
    public private(set) var transactions: [JournalTransaction] = []
    public internal(set) var lots: [LotId: Lot] = [:]
    public internal(set) var holds: [HoldId: Hold] = [:]
    public internal(set) var debtChanged = false
    /// The balance before the first of `transactions`, from which their alerts are judged.
    public internal(set) var openingBalanceMinor: Int64?
    private var transactionIndexByKey: [IdempotencyKey: Int] = [:]

    mutating func append(_ transaction: JournalTransaction) {
        transactionIndexByKey[transaction.idempotencyKey] = transactions.count
        transactions.append(transaction)
    }

    func recorded(_ key: IdempotencyKey) -> RecordedRequest? {
        transactionIndexByKey[key].map { RecordedRequest(fingerprint: transactions[$0].fingerprint, receipt: transactions[$0].receipt) }
    }
}

/// A transaction being built: its entries and what it moved.
struct TransactionDraft {
    let kind: TransactionKind
    let occurredAt: Instant
    let amountMinor: Int64
    var entries: [JournalEntry] = []
    var consumedMinor: Int64 = 0
    var debtIncurredMinor: Int64 = 0
    var debtRepaidMinor: Int64 = 0
    var releasedMinor: Int64 = 0
    var forfeitedMinor: Int64 = 0
    var lotId: LotId?
    var holdId: HoldId?

    init(kind: TransactionKind, at occurredAt: Instant, amountMinor: Int64) {
        self.kind = kind
        self.occurredAt = occurredAt
        self.amountMinor = amountMinor
    }

    /// Adds an entry; zero amounts are left out.
    mutating func post(_ account: LedgerAccount, lot: LotId? = nil, hold: HoldId? = nil, _ amountMinor: Int64) {
        guard amountMinor != 0 else { return }
        entries.append(JournalEntry(account: account, lotId: lot, holdId: hold, amountMinor: amountMinor))
    }
}
