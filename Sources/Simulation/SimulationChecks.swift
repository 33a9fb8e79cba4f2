import CreditsCore
import CreditsStore

/// The invariants a simulation checks after every step, read from the store and from the
/// simulated provider and recipients, and kept from step to step where they need a memory:
/// money conserved, no lot below zero, funds used oldest first, no usage record or pool minute
/// charged twice, each payment once as one lot, one recharge in flight, each event notified once.
struct SimulationChecks {
    struct Problem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Each lot's free funds, replayed from the journal.
    private var free: [LotId: Int64] = [:]
    private var lastTransaction: [TenantId: TransactionId] = [:]
    /// Every usage record seen, kept after the store purges it.
    private var records: [TenantId: [String: UsageRecord]] = [:]
    private var acknowledged: [TenantId: Set<String>] = [:]
    private var storedCount: [TenantId: Int] = [:]
    private var lots: [TenantId: [Lot]] = [:]
    private var recharges: [TenantId: [RechargeRecord]] = [:]
    private var creditsCharged: [TenantId: Int64] = [:]
    private var poolDrawn: [PoolUse: Int64] = [:]

    private struct PoolUse: Hashable {
        let tenant: TenantId
        let key: PoolKey
        let month: CalendarMonth
    }

    /// What the runs went through, by kind (lot expiries, hold time-outs, recharges, records
    /// of silent calls, post-usage records, leap days), to show the mix reached each.
    private(set) var events: [String: Int] = [:]

    /// The platform was told this usage record is charged (or was already).
    mutating func acknowledged(_ usageId: String, of tenant: TenantId) {
        acknowledged[tenant, default: []].insert(usageId)
    }

    /// A late end replaced a time-out's record: the tenant's records are read again at the next check.
    private var replacedRecords: Set<TenantId> = []
    mutating func replaced(recordOf tenant: TenantId) { replacedRecords.insert(tenant) }

    /// Checks the ledger, then each of `tenants` (those the step may have changed); payments are
    /// checked across every tenant, with what was last read of the others.
    mutating func check(
        _ tenants: Set<TenantId>,
        of all: [TenantId],
        _ stores: Stores,
        gateway: SimulatedGateway,
        courier: SimulatedCourier,
        purchases: [PurchaseRecord],
        window: ClosedRange<Instant>
    ) async throws {
        let verification = try await stores.ledger.verify()
        guard verification.isConsistent else { throw Problem("the ledger disagrees with its journal: \(verification)") }
        for tenant in all where tenants.contains(tenant) || lots[tenant] == nil {
            let statement = try await stores.ledger.statement(for: tenant, at: window.upperBound)
            lots[tenant] = statement.lots
            try checkLots(statement)
            try await checkOrderOfUse(tenant, stores, statement, window: window)
            try await checkUsage(tenant, stores, statement, at: window.upperBound, afterDueWork: tenants.count == all.count)
            let own = try await stores.billing.recharges(for: tenant, limit: 10_000)
            guard own.filter({ $0.state == .pending }).count <= 1 else { throw Problem("\(tenant) has more than one recharge in flight") }
            recharges[tenant] = own
            try await checkNotifications(tenant, stores, recharges: own, courier: courier)
        }
        let allLots = Dictionary(uniqueKeysWithValues: lots.values.joined().map { ($0.id, $0) })
        try checkPayments(purchases: purchases, recharges: Array(recharges.values.joined()), lots: allLots, charges: gateway.charges)
    }

    /// Once everything due has run with the faults off: nothing in flight, every copy of every
    /// notification delivered or given up.
    func checkSettled(_ tenants: [TenantId], _ stores: Stores, purchases: [PurchaseRecord]) async throws {
        if let pending = purchases.first(where: { $0.state == .pending }) { throw Problem("purchase \(pending.id) is still in flight") }
        for tenant in tenants {
            if try await stores.billing.recharges(for: tenant, limit: 10_000).contains(where: { $0.state == .pending }) {
                throw Problem("\(tenant) still has a recharge in flight")
            }
            for record in try await stores.notifications.notifications(for: tenant, before: nil, limit: 10_000) {
                if let copy = record.deliveries.first(where: { $0.state == .pending }) {
                    throw Problem("notification \(record.notification.id) to \(copy.recipient.address) was never sent")
                }
            }
        }
    }

    // MARK: Lots and money

    private func checkLots(_ statement: CreditStatement) throws {
        for lot in statement.lots {
            let parts = [lot.freeMinor, lot.heldMinor, lot.forfeitedMinor, lot.refundedMinor]
            guard parts.allSatisfy({ $0 >= 0 }), parts.reduce(0, +) <= lot.amountMinor else {
                throw Problem("lot \(lot.id) of \(statement.tenantId) is below zero or over its amount: \(lot)")
            }
        }
    }

    /// Replays the new journal transactions: each lot was booked when it was bought, to expire
    /// 12 months later, and each draw took the lots with free funds oldest first.
    private mutating func checkOrderOfUse(
        _ tenant: TenantId,
        _ stores: Stores,
        _ statement: CreditStatement,
        window: ClosedRange<Instant>
    ) async throws {
        var fresh: [JournalTransaction] = []
        var before: TransactionId?
        page: while true {
            let page = try await stores.ledger.transactions(for: tenant, before: before, limit: 64)
            for transaction in page {
                if let last = lastTransaction[tenant], transaction.receipt.transactionId <= last { break page }
                fresh.append(transaction)
            }
            guard page.count == 64, let oldest = page.last else { break }
            before = oldest.receipt.transactionId
        }
        let lots = Dictionary(uniqueKeysWithValues: statement.lots.map { ($0.id, $0) })
        for transaction in fresh.reversed() {
            let receipt = transaction.receipt
            lastTransaction[tenant] = receipt.transactionId
            if [.lotExpiry, .holdTimeout, .recharge].contains(receipt.kind) { events[receipt.kind.rawValue, default: 0] += 1 }
            let day = receipt.occurredAt.civilDateAndTime.date
            if [.purchase, .recharge].contains(receipt.kind), day.month == 2, day.day == 29 { events["leapDayLot", default: 0] += 1 }
            if [.purchase, .recharge].contains(receipt.kind), let lotId = receipt.lotId {
                guard window.contains(receipt.occurredAt), lots[lotId]?.expiresAt == receipt.occurredAt.adding(months: Lot.lifetimeMonths) else {
                    throw Problem(
                        "lot \(lotId) was bought between \(window.lowerBound) and \(window.upperBound) but booked at \(receipt.occurredAt), "
                            + "expiring \(lots[lotId].map { "\($0.expiresAt)" } ?? "never")"
                    )
                }
            }
            // Entry by entry, as the transaction moved the money: a draw (an expiry or a refund
            // aside, which take a named lot) may take from a lot only when no lot before it in the
            // order of use has free funds, and never more than the lot has.
            for entry in transaction.entries where entry.account == .lotFree {
                let lotId = entry.lotId!
                if entry.amountMinor < 0, ![.lotExpiry, .refund].contains(receipt.kind), let lot = lots[lotId],
                    let older = statement.lots.first(where: {
                        Lot.consumedBefore($0, lot) && !$0.isExpired(at: receipt.occurredAt) && free[$0.id, default: 0] > 0
                    })
                {
                    throw Problem(
                        "transaction \(receipt.transactionId) (\(receipt.kind)) of \(tenant) drew from lot \(lotId) "
                            + "while the older lot \(older.id) had \(free[older.id, default: 0]) free"
                    )
                }
                free[lotId, default: 0] += entry.amountMinor
                guard free[lotId, default: 0] >= 0 else {
                    throw Problem("transaction \(receipt.transactionId) of \(tenant) drew more from lot \(lotId) than it had free")
                }
            }
        }
    }

    /// A late end's record in place of its time-out's: the same call, charged and drawn no more.
    private mutating func replace(_ timedOut: UsageRecord, with corrected: UsageRecord, of tenant: TenantId) throws {
        guard corrected.durationSeconds <= timedOut.durationSeconds, corrected.chargeMinor <= timedOut.chargeMinor,
            corrected.poolUnits <= timedOut.poolUnits, corrected.capability == timedOut.capability, corrected.startTime == timedOut.startTime
        else {
            throw Problem("usage record \(corrected.usageId): the late end charged more than its time-out, or another call")
        }
        records[tenant]![corrected.usageId] = corrected
        events["lateEndRecord", default: 0] += 1
        if corrected.capability.isCredits { creditsCharged[tenant, default: 0] -= timedOut.chargeMinor - corrected.chargeMinor }
        if let pool = corrected.pool {
            poolDrawn[PoolUse(tenant: tenant, key: pool, month: CalendarMonth(of: corrected.startTime)), default: 0] -=
                timedOut.poolUnits - corrected.poolUnits
        }
    }

    /// A call the destination rules or a spend limit refused, as the driver judged them too.
    mutating func refused(by reason: CallRefusal) {
        events["\(reason.rawValue)Refusal", default: 0] += 1
    }

    /// Something the run went through, by name.
    mutating func count(_ event: String) { events[event, default: 0] += 1 }

    /// Every acknowledged record is there, once; the credits spent are what the records
    /// charged; each pool's minutes used are what its records drew. Records are read again when
    /// their count moved or old ones may have been purged (`afterDueWork`), and kept (with
    /// their totals) after the store purges them.
    private mutating func checkUsage(
        _ tenant: TenantId,
        _ stores: Stores,
        _ statement: CreditStatement,
        at now: Instant,
        afterDueWork: Bool
    ) async throws {
        let everything = (from: Instant(millisecondsSinceEpoch: 0), to: now.adding(days: 1))
        let count = try await stores.calls.usageRecordCount(for: tenant, from: everything.from, to: everything.to)
        let consumed = statement.lots.reduce(Int64(0)) { $0 + $1.amountMinor - $1.freeMinor - $1.heldMinor - $1.forfeitedMinor - $1.refundedMinor }
        // A late end replaces a record without changing the count; its answer may have been lost.
        let moved = consumed + statement.figures.debtMinor != creditsCharged[tenant, default: 0]
        if count != storedCount[tenant] || afterDueWork || replacedRecords.remove(tenant) != nil || moved {
            storedCount[tenant] = count
            let stored = try await stores.calls.usageRecords(for: tenant, from: everything.from, to: everything.to, after: nil, limit: 1_000_000)
            guard Set(stored.map(\.usageId)).count == stored.count else { throw Problem("\(tenant) has a usage record twice") }
            for record in stored {
                if let seen = records[tenant]?[record.usageId] {
                    if seen.source == .timeout, record.source == .lateEnd { try replace(seen, with: record, of: tenant) }
                    guard records[tenant]![record.usageId] == record else {
                        throw Problem("usage record \(record.usageId) changed after it was charged")
                    }
                    continue
                }
                records[tenant, default: [:]][record.usageId] = record
                if record.source == .realTime { try await checkAgainstItsSession(record, of: tenant, stores) }
                if record.source == .timeout { events["silentCallRecord", default: 0] += 1 }
                if record.capability == .postUsage { events["postUsageRecord", default: 0] += 1 }
                if record.capability.isCredits { creditsCharged[tenant, default: 0] += record.chargeMinor }
                if let pool = record.pool {
                    poolDrawn[PoolUse(tenant: tenant, key: pool, month: CalendarMonth(of: record.startTime)), default: 0] += record.poolUnits
                }
            }
        }
        let seen = records[tenant] ?? [:]
        if let lost = acknowledged[tenant]?.first(where: { seen[$0] == nil }) {
            throw Problem("acknowledged usage record \(lost) of \(tenant) is missing")
        }

        let charged = creditsCharged[tenant, default: 0]
        guard consumed + statement.figures.debtMinor == charged else {
            throw Problem("\(tenant): the lots gave \(consumed) and \(statement.figures.debtMinor) is owed, but the records charged \(charged)")
        }
        for month in Set([CalendarMonth(of: now), CalendarMonth(of: now.adding(days: -31))]) {
            for pool in try await stores.calls.pools(for: tenant, month: month) {
                let drawn = poolDrawn[PoolUse(tenant: tenant, key: pool.key, month: month), default: 0]
                guard pool.used == drawn else {
                    throw Problem("\(tenant)'s pool \(pool.key) for \(month) counts \(pool.used) used, but its records drew \(drawn)")
                }
            }
        }
    }

    /// A real-time record is charged no longer than its session was granted (with the
    /// tolerance), and a cancelled session has none.
    private func checkAgainstItsSession(_ record: UsageRecord, of tenant: TenantId, _ stores: Stores) async throws {
        guard let session = try await stores.calls.session(CallSessionId(stored: record.usageId), for: tenant) else { return }
        guard session.state != .cancelled else { throw Problem("cancelled session \(record.usageId) has a usage record") }
        guard record.durationSeconds <= session.grantedSeconds + CallLimits.grantToleranceSeconds else {
            throw Problem("record \(record.usageId) is charged \(record.durationSeconds) s, but its session was granted \(session.grantedSeconds) s")
        }
    }

    /// Each card charge the provider made is one completed purchase or recharge and one lot of
    /// its amount; a refused one charged nothing; every lot has its purchase or recharge.
    private func checkPayments(purchases: [PurchaseRecord], recharges: [RechargeRecord], lots: [LotId: Lot], charges: [String: Int64]) throws {
        var paid: [String: (state: String, amount: Int64, lotId: LotId?, byCard: Bool)] = [:]
        for purchase in purchases {
            let byCard = if case .card = purchase.request.paymentMethod { true } else { false }
            paid[purchase.gatewayKey] = (purchase.state.rawValue, purchase.request.amountMinor, purchase.lotId, byCard)
        }
        for recharge in recharges {
            let byCard = if case .card = recharge.paymentMethod { true } else { false }
            paid[recharge.gatewayKey] = (recharge.state.rawValue, recharge.amountMinor, recharge.lotId, byCard)
        }
        for (key, amount) in charges {
            guard let record = paid[key] else { throw Problem("the provider charged \(amount) under \(key), which nothing here asked for") }
            guard record.state != "failed" else {
                throw Problem("the provider charged \(amount) under \(key), but the payment is recorded as failed")
            }
        }
        var lotsBehind: Set<LotId> = []
        for (key, record) in paid where ["completed", "succeeded"].contains(record.state) {
            guard let lotId = record.lotId, let lot = lots[lotId], lot.amountMinor == record.amount else {
                throw Problem("payment \(key) of \(record.amount) completed without its lot")
            }
            if record.byCard, charges[key] != record.amount { throw Problem("payment \(key) added \(record.amount) that the provider never charged") }
            guard lotsBehind.insert(lotId).inserted else { throw Problem("lot \(lotId) counts for two payments") }
        }
        let inFlight = paid.values.contains { $0.state == "pending" }
        if !inFlight, let stray = lots.keys.first(where: { !lotsBehind.contains($0) }) {
            throw Problem("lot \(stray) of \(lots[stray]!.amountMinor) has no purchase or recharge behind it")
        }
    }

    // MARK: Notifications

    /// One notification per event; one per recharge that ended; each copy marked delivered
    /// reached its recipient.
    private func checkNotifications(_ tenant: TenantId, _ stores: Stores, recharges: [RechargeRecord], courier: SimulatedCourier) async throws {
        let notifications = try await stores.notifications.notifications(for: tenant, before: nil, limit: 10_000)
        let keys = notifications.map(\.notification.event.key)
        guard Set(keys).count == keys.count else { throw Problem("\(tenant) was notified of one event twice") }
        let received = courier.received
        for record in notifications {
            for copy in record.deliveries where copy.state == .delivered {
                let address = "\(copy.recipient.channel):\(copy.recipient.address)"
                guard received[SimulatedCourier.Copy(notificationId: record.notification.id, recipient: address), default: 0] > 0 else {
                    throw Problem("notification \(record.notification.id) is marked delivered to \(address), which never got it")
                }
            }
        }
        for recharge in recharges where recharge.state == .succeeded || recharge.state == .failed {
            let event = recharge.state == .succeeded ? "recharge-\(recharge.id)-succeeded" : "recharge-\(recharge.id)-failed"
            guard keys.contains(event) else { throw Problem("recharge \(recharge.id) \(recharge.state) without its notification") }
        }
    }
}
