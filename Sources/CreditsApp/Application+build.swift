public import Configuration
import CreditsEngine
import CreditsStore
public import Hummingbird
import Logging

/// Builds the service from its configuration. The server, the command line and the tests all
/// come through here. Keys: `http.host`, `http.port`, `database` (`sqlite:PATH`), `demo`
/// (load the demo organization into an empty database), `ledger.settleIntervalSeconds`.
public func buildApplication(reader: ConfigReader) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "commscredits")
    logger.logLevel = reader.string(forKey: "log.level", as: Logger.Level.self, default: .info)
    let location = try DatabaseLocation(reader.string(forKey: "database", default: DatabaseLocation.defaultArgument))
    let store = try location.openLedgerStore()
    let clock = SystemClock()
    if reader.bool(forKey: "demo", default: false) {
        let loaded = try await DemoOrganization.load(into: store, at: clock.now())
        logger.info(loaded ? "Loaded the demo organization" : "The database already holds data; the demo was not loaded",
                    metadata: ["tenant": "\(DemoOrganization.tenantId)"])
    }
    logger.info("Ledger ready", metadata: ["database": "\(location)"])

    let router = Router()
    router.addHealthRoutes(store: store)
    let settlement = LedgerSettlementService(
        store: store, clock: clock,
        interval: .seconds(reader.int(forKey: "ledger.settleIntervalSeconds", default: 60)), logger: logger)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(reader: reader.scoped(to: "http")),
        services: [settlement],
        logger: logger)
}
