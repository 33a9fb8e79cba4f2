public import Logging
public import ServiceLifecycle

/// Runs recharges as soon as a charge starts one, and every `interval` picks up any left in
/// flight by a restart, and purchases a crash interrupted.
public struct AutoRechargeService: Service {
    let billing: BillingService
    let wakeUps: AsyncStream<Void>
    let interval: Duration
    let logger: Logger

    /// `wakeUps` is the stream whose continuation `BillingService` yields to when it starts a recharge.
    public init(billing: BillingService, wakeUps: AsyncStream<Void>, interval: Duration, logger: Logger) {
        self.billing = billing
        self.wakeUps = wakeUps
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            group.addTask {
                for await _ in wakeUps { tick.yield() }
            }
            group.addTask {
                while !Task.isCancelled {
                    tick.yield()
                    try? await Task.sleep(for: interval)
                }
            }
            group.addTask {
                for await _ in ticks.cancelOnGracefulShutdown() {
                    do {
                        try await billing.runPendingRecharges()
                        try await billing.resumeInterruptedPurchases()
                    } catch {
                        logger.error("Running recharges failed; trying again next round", metadata: ["error": "\(error)"])
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
