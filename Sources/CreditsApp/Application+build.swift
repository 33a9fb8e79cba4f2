public import Configuration
import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
public import Hummingbird
import Logging
import Payments

/// Builds the service from its configuration. The server, the command line and the tests all
/// come through here. Keys: `http.host`, `http.port`, `database` (`sqlite:PATH`), `demo`
/// (load the demo organization into an empty database), `testClock` (a clock that moves only
/// through `/v1/test-clock`; never in production), `schedule.intervalSeconds` (how often what
/// falls due is run: expiries, silent calls, post-usage invoices), `recharge.intervalSeconds`
/// (how often recharges left in flight are picked up), `calls.quotaSeconds` (the most seconds
/// one answer grants).
public func buildApplication(reader: ConfigReader) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "commscredits")
    logger.logLevel = reader.string(forKey: "log.level", as: Logger.Level.self, default: .info)
    let location = try DatabaseLocation(reader.string(forKey: "database", default: DatabaseLocation.defaultArgument))
    let stores = try location.openStores()
    let testClock = reader.bool(forKey: "testClock", default: false) ? ManualClock(SystemClock().now()) : nil
    let clock: any CreditsClock = testClock ?? SystemClock()
    if reader.bool(forKey: "demo", default: false) {
        let loaded = try await DemoOrganization.load(into: stores, at: clock.now())
        logger.info(loaded ? "Loaded the demo organization" : "The database already holds data; the demo was not loaded",
                    metadata: ["tenant": "\(DemoOrganization.tenantId)"])
    }
    logger.info("Ledger ready", metadata: ["database": "\(location)"])

    let (rechargeWakeUps, wakeRecharges) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    let billing = BillingService(stores: stores, gateway: SandboxPaymentGateway(), clock: clock, logger: logger,
                                 rechargeStarted: { wakeRecharges.yield() })
    let recharges = AutoRechargeService(billing: billing, wakeUps: rechargeWakeUps,
                                        interval: .seconds(reader.int(forKey: "recharge.intervalSeconds", default: 30)), logger: logger)

    let calls = CallService(stores: stores, billing: billing, clock: clock,
                            settings: CallDesk.Settings(quotaSeconds: Int64(reader.int(forKey: "calls.quotaSeconds", default: 600))))
    let dueWork = DueWork(stores: stores, billing: billing, calls: calls, clock: clock, logger: logger)
    if let testClock { logger.warning("Running on a test clock: time moves only through /v1/test-clock", metadata: ["now": "\(testClock.now())"]) }

    let router = Router(context: APIRequestContext.self)
    router.addHealthRoutes(store: stores.ledger)
    CreditsAPI(billing: billing, calls: calls, stores: stores, clock: clock, testClock: testClock.map { ($0, dueWork) }).addRoutes(to: router)
    let schedule = DueWorkService(work: dueWork, interval: .seconds(reader.int(forKey: "schedule.intervalSeconds", default: 30)))
    return Application(
        router: router,
        configuration: ApplicationConfiguration(reader: reader.scoped(to: "http")),
        services: [schedule, recharges],
        logger: logger)
}
