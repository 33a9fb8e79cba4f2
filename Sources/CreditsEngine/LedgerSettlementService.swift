public import CreditsStore
public import Logging
public import ServiceLifecycle

/// Books expiries and hold time-outs when they fall due, even in an account nobody touches.
/// (Each request settles its own account first, so this only makes idle accounts current.)
public struct LedgerSettlementService: Service {
    let store: any LedgerStore
    let clock: any CreditsClock
    let interval: Duration
    let logger: Logger

    public init(store: any LedgerStore, clock: any CreditsClock, interval: Duration, logger: Logger) {
        self.store = store
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                let written = try await store.settleDue(at: clock.now())
                if written > 0 { logger.info("Settled what fell due", metadata: ["transactions": "\(written)"]) }
            } catch {
                logger.error("Settling what fell due failed; trying again next round", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
