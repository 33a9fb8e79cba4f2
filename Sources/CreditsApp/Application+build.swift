public import Configuration
import CreditsAPI
import CreditsEngine
import CreditsStore
public import Hummingbird
import Logging
import Payments

/// Builds the service from its configuration. The server, the command line and the tests all
/// come through here. Keys: `http.host`, `http.port`, `database` (`sqlite:PATH`), `demo`
/// (load the demo organization into an empty database), `ledger.settleIntervalSeconds`,
/// `recharge.intervalSeconds` (how often recharges left in flight are picked up).
public func buildApplication(reader: ConfigReader) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "commscredits")
    logger.logLevel = reader.string(forKey: "log.level", as: Logger.Level.self, default: .info)
    let location = try DatabaseLocation(reader.string(forKey: "database", default: DatabaseLocation.defaultArgument))
    let stores = try location.openStores()
    let clock = SystemClock()
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

    let router = Router(context: APIRequestContext.self)
    router.addHealthRoutes(store: stores.ledger)
    CreditsAPI(billing: billing, stores: stores, clock: clock).addRoutes(to: router)
    let settlement = LedgerSettlementService(
        store: stores.ledger, clock: clock,
        interval: .seconds(reader.int(forKey: "ledger.settleIntervalSeconds", default: 60)), logger: logger)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(reader: reader.scoped(to: "http")),
        services: [settlement, recharges],
        logger: logger)
}
