public import CreditsCore
public import CreditsStore
public import Logging
public import ServiceLifecycle
import Synchronization

/// Everything that falls due with time rather than with a request: lot expiries and hold
/// time-outs in idle accounts, calls whose platform went silent, recharges left in flight,
/// purchases a crash interrupted, post-usage invoices of months that ended, notices of lots
/// about to expire, notifications to send, usage records past their retention, and kept
/// answers past their day. Each step is idempotent, so running it twice does no harm; with
/// several instances one runs a round at a time (`WorkLocks`).
public struct DueWork: Sendable {
    let stores: Stores
    let billing: BillingService
    let calls: CallService
    let clock: any CreditsClock
    let logger: Logger
    /// Sends the notifications due (the dispatcher lives with the senders, a layer beside this one).
    let deliverNotifications: @Sendable () async throws -> Void
    /// The usual hourly spend of the velocity alarm is worked out in the first round of a day.
    private let usualSpendDay = DayLatch()

    public init(
        stores: Stores,
        billing: BillingService,
        calls: CallService,
        clock: any CreditsClock,
        logger: Logger,
        deliverNotifications: @escaping @Sendable () async throws -> Void = {}
    ) {
        self.stores = stores
        self.billing = billing
        self.calls = calls
        self.clock = clock
        self.logger = logger
        self.deliverNotifications = deliverNotifications
    }

    /// Runs every step once, in the order that lets a later one see what an earlier one did;
    /// skips the round when another instance is running it.
    public func run() async throws {
        _ = try await stores.locks.ifFree("due-work") { try await runSteps() }
    }

    /// Moves a test clock to `instant`, running what falls due on the way in time order, each
    /// at its own instant: the clock stops at each silent call's deadline, so that its charge,
    /// and any recharge that charge starts, are dated then and not at the end of the jump (lot
    /// expiries and hold time-outs the ledger already posts at their own instants).
    public func advance(_ clock: ManualClock, to instant: Instant) async throws {
        while let deadline = try await stores.calls.earliestSilentCallDeadline(by: instant), deadline > clock.now() {
            clock.advance(to: deadline)
            try await run()
        }
        clock.advance(to: instant)
        try await run()
    }

    private func runSteps() async throws {
        let now = clock.now()
        let settled = try await stores.ledger.settleDue(at: now)
        let tenantsWithSilentCalls = try await calls.expireSilentCalls()
        try await billing.runPendingRecharges()
        try await billing.resumeInterruptedPurchases()
        let invoices = try await stores.calls.issuePostUsageInvoices(at: now)
        let expiryNotices = try await stores.notifications.noteExpiringLots(at: now)
        try await deliverNotifications()
        let purgedRecords = try await stores.calls.purgeExpiredUsage(at: now)
        let purgedAnswers = try await stores.answers.purgeAnswers(keptBefore: now.adding(seconds: -StoredAnswer.keptSeconds))
        var usualSpends = 0
        if usualSpendDay.isFirstRound(on: now.civilDateAndTime.date) {
            usualSpends = try await CallControlService(stores: stores, clock: clock).refreshUsualSpend()
        }
        if settled + tenantsWithSilentCalls + invoices.count + expiryNotices + purgedRecords + purgedAnswers + usualSpends > 0 {
            logger.info(
                "Ran what fell due",
                metadata: [
                    "ledgerTransactions": "\(settled)", "tenantsWithSilentCalls": "\(tenantsWithSilentCalls)",
                    "postUsageInvoices": "\(invoices.count)", "expiryNotices": "\(expiryNotices)",
                    "purgedUsageRecords": "\(purgedRecords)", "purgedKeptAnswers": "\(purgedAnswers)",
                    "usualHourlySpends": "\(usualSpends)",
                ]
            )
        }
    }
}

/// Says yes once a day: to the first round that asks on a day later than the last.
final class DayLatch: Sendable {
    private let last = Mutex<CivilDate?>(nil)

    func isFirstRound(on day: CivilDate) -> Bool {
        last.withLock { last in
            guard last.map({ $0 < day }) ?? true else { return false }
            last = day
            return true
        }
    }
}

/// Runs `DueWork` every `interval` until shutdown.
public struct DueWorkService: Service {
    let work: DueWork
    let interval: Duration

    public init(work: DueWork, interval: Duration) {
        self.work = work
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await work.run()
            } catch {
                work.logger.error("Running what fell due failed; trying again next round", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
