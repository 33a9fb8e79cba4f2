import AdminCenter
public import Configuration
public import CreditsAPI
import CreditsCore
import CreditsDiameter
import CreditsEngine
import CreditsStore
import CreditsStorePostgres
import Foundation
public import Hummingbird
import HummingbirdCore
import Logging
import Notifications
import Payments
import ServiceLifecycle

/// Builds the service from its configuration. The server, the command line and the tests all
/// come through here. Keys: `http.host`, `http.port`, `http.idleTimeoutSeconds`,
/// `http.bodyTimeoutSeconds` and `http.maximumConnections` (see `ConnectionLimits`), `database` (`sqlite:PATH` or
/// `postgres://USER@HOST:PORT/DATABASE`, see `DatabaseLocation`), `demo`
/// (load the demo organization into an empty database), `testClock` (a clock that moves only
/// through `/v1/test-clock`; never in production), `schedule.intervalSeconds` (how often what
/// falls due is run: expiries, silent calls, post-usage invoices), `recharge.intervalSeconds`
/// (how often recharges left in flight are picked up), `calls.quotaSeconds` (the most seconds
/// one answer grants), `calls.maximumInProgress` and `calls.maximumInProgressPerTenant` (call
/// and usage requests in progress beyond which one is answered 503, see `CallAdmission`),
/// `calls.cacheTenants` and `calls.cacheMegabytes` (tenants whose call state stays in memory,
/// see `TenantCallsCache`), `limits.requestsPerSecond` and `limits.burst` (each credential's rate),
/// `limits.anonymousPerSecond` and `limits.anonymousBurst` (each client address's rate for
/// requests without a working credential: sign-ins, unknown tokens),
/// `auth.passwordCost` (bcrypt's cost), `webhooks.allowPlainHTTP` and
/// `webhooks.allowPrivateAddresses` (false unless receivers run beside the service; see
/// `WebhookAddress`), `cookies.secure` (false only behind plain HTTP
/// reached from another machine), `log.level`, `log.format` (`text` or `json`), the mail relay
/// (`smtp.*`, see `mailer(_:)`) and `notifications.intervalSeconds` (how often the outbox is sent).
public func buildApplication(reader: ConfigReader) async throws -> some ApplicationProtocol {
    let server = try await buildServer(reader: reader)
    let limits = ConnectionLimits(reader: reader.scoped(to: "http"))
    var configuration = ApplicationConfiguration(reader: reader.scoped(to: "http"))
    configuration.availableConnectionsDelegate = MaximumAvailableConnections(limits.maximumConnections)
    return Application(
        router: server.router,
        server: .http1(configuration: limits.channelConfiguration),
        configuration: configuration,
        services: server.services,
        logger: server.logger
    )
}

/// What the application is made of: the router with every route, and the background services.
public struct ServerParts {
    public let router: Router<APIRequestContext>
    let services: [any Service]
    let logger: Logger
}

public func buildServer(reader: ConfigReader) async throws -> ServerParts {
    let logger = ServiceLogging.logger(
        format: reader.string(forKey: "log.format", default: "text"),
        level: reader.string(forKey: "log.level", as: Logger.Level.self, default: .info)
    )
    ServiceMetrics.bootstrap()
    let location = try DatabaseLocation(reader.string(forKey: "database", default: DatabaseLocation.defaultArgument))
    let callsCache = TenantCallsCache.Limits(
        tenants: max(0, reader.int(forKey: "calls.cacheTenants", default: 10_000)),
        bytes: max(0, reader.int(forKey: "calls.cacheMegabytes", default: 256)) << 20
    )
    let testClock = reader.bool(forKey: "testClock", default: false) ? ManualClock(SystemClock().now()) : nil
    let clock: any CreditsClock = testClock ?? SystemClock()
    var accessSettings = AccessService.Settings()
    accessSettings.passwordCost = UInt8(clamping: reader.int(forKey: "auth.passwordCost", default: 12))
    // The schema is brought up to date, and the demo loaded, on a connection of their own before
    // anything is built to serve the data.
    try await location.withServices(clock: clock, accessSettings: accessSettings) { services in
        guard reader.bool(forKey: "demo", default: false) else { return }
        let loaded = try await DemoOrganization.load(into: services.stores, access: services.access, at: clock.now())
        logger.info(
            loaded ? "Loaded the demo organization" : "The database already holds data; the demo was not loaded",
            metadata: ["tenant": "\(DemoOrganization.tenantId)"]
        )
    }
    let (stores, postgres) = try location.storesToServe(callsCache: callsCache)
    // Sessions and tokens expire by the wall clock even on a test clock: moving billing's time a
    // year on must not sign everyone out or expire the tokens of the programs driving it.
    let services = CreditsServices(stores: stores, clock: clock, credentialsClock: SystemClock(), accessSettings: accessSettings)
    logger.info("Ledger ready", metadata: ["database": "\(location)"])

    let (rechargeWakeUps, wakeRecharges) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    let billing = BillingService(
        stores: stores,
        gateway: SandboxPaymentGateway(),
        clock: clock,
        logger: logger,
        rechargeStarted: { wakeRecharges.yield() }
    )
    let recharges = AutoRechargeService(
        billing: billing,
        wakeUps: rechargeWakeUps,
        interval: .seconds(reader.int(forKey: "recharge.intervalSeconds", default: 30)),
        logger: logger
    )

    let quotaSeconds = reader.int(forKey: "calls.quotaSeconds", default: 600)
    // A grant longer than a day would let one answer outrun the bounds on what a call may report.
    guard (1...86_400).contains(quotaSeconds) else {
        throw ConfigurationError(description: "CALLS_QUOTA_SECONDS is 1 to 86400, not \(quotaSeconds).")
    }
    let admission = CallAdmission.Limits(
        inProgress: max(1, reader.int(forKey: "calls.maximumInProgress", default: 4_096)),
        inProgressPerTenant: max(1, reader.int(forKey: "calls.maximumInProgressPerTenant", default: 1_024))
    )
    let calls = CallService(
        stores: stores,
        billing: billing,
        clock: clock,
        settings: CallDesk.Settings(quotaSeconds: Int64(quotaSeconds)),
        admission: CallAdmission(limits: admission)
    )
    let webhookPolicy = WebhookAddress.Policy(
        allowsPlainHTTP: reader.bool(forKey: "webhooks.allowPlainHTTP", default: false),
        allowsPrivateAddresses: reader.bool(forKey: "webhooks.allowPrivateAddresses", default: false)
    )
    let dispatcher = NotificationDispatcher(
        stores: stores,
        mail: try mailer(reader.scoped(to: "smtp"), logger: logger),
        webhooks: WebhookSender(policy: webhookPolicy),
        clock: clock,
        logger: logger
    )
    let dueWork = DueWork(
        stores: stores,
        billing: billing,
        calls: calls,
        clock: clock,
        logger: logger,
        deliverNotifications: { try await dispatcher.deliverDue() }
    )
    let notifications = NotificationService(
        dispatcher: dispatcher,
        interval: .seconds(reader.int(forKey: "notifications.intervalSeconds", default: 2))
    )
    if let testClock { logger.warning("Running on a test clock: time moves only through /v1/test-clock", metadata: ["now": "\(testClock.now())"]) }

    let router = Router(context: APIRequestContext.self)
    router.addOperationsRoutes(stores: stores)
    let limits = RateLimiter.Settings(
        perSecond: reader.double(forKey: "limits.requestsPerSecond", default: 1000),
        burst: reader.double(forKey: "limits.burst", default: 2000)
    )
    let anonymousLimits = RateLimiter.Settings(
        perSecond: reader.double(forKey: "limits.anonymousPerSecond", default: 10),
        burst: reader.double(forKey: "limits.anonymousBurst", default: 100)
    )
    let secureCookies = reader.bool(forKey: "cookies.secure", default: true)
    CreditsAPI(
        services: services,
        billing: billing,
        calls: calls,
        limits: limits,
        anonymousLimits: anonymousLimits,
        webhookPolicy: webhookPolicy,
        secureCookies: secureCookies,
        testClock: testClock.map { ($0, dueWork) }
    ).addRoutes(to: router)
    try await AdminCenter(
        services: services,
        billing: billing,
        calls: calls,
        secureCookies: secureCookies,
        supportURL: try supportURL(reader)
    ).addRoutes(to: router)
    let schedule = DueWorkService(work: dueWork, interval: .seconds(reader.int(forKey: "schedule.intervalSeconds", default: 30)))
    // The database's connections close last: services stop in the reverse of this order.
    let database: [any Service] = postgres.map { [$0] } ?? []
    return ServerParts(
        router: router,
        services: database + [schedule, recharges, notifications] + (try diameter(reader, calls: calls, clock: clock, logger: logger)),
        logger: logger
    )
}

/// The Diameter credit-control server, when `DIAMETER_PORT` names its port; it answers only
/// the peers `DIAMETER_PEERS` names (their Origin-Host, comma-separated).
private func diameter(_ reader: ConfigReader, calls: CallService, clock: any CreditsClock, logger: Logger) throws -> [any Service] {
    guard let port = reader.int(forKey: "diameter.port") else { return [] }
    let peers = Set(
        reader.string(forKey: "diameter.peers", default: "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    )
    guard !peers.isEmpty else {
        throw ConfigurationError(description: "DIAMETER_PORT is set but DIAMETER_PEERS names no peer; name the Origin-Host of each client.")
    }
    var settings = DiameterServer.Settings(port: port, peers: peers)
    settings.host = reader.string(forKey: "diameter.host", default: settings.host)
    settings.originHost = reader.string(forKey: "diameter.originHost", default: settings.originHost)
    settings.originRealm = reader.string(forKey: "diameter.originRealm", default: settings.originRealm)
    return [DiameterServer(settings: settings, calls: calls, clock: clock, logger: logger)]
}

/// Where administrators open a support ticket (`support.url`): an https or mailto address.
func supportURL(_ reader: ConfigReader) throws -> String? {
    guard let url = reader.string(forKey: "support.url") else { return nil }
    guard url.hasPrefix("https://") || url.hasPrefix("mailto:"), url.count <= 500, !url.contains(where: \.isWhitespace) else {
        throw ConfigurationError(description: "SUPPORT_URL must be an https:// or mailto: address, not '\(url.prefix(60))'.")
    }
    return url
}

/// The mail relay, when `host` is set: `port` (25), `security` (`starttls`, `starttls-required`
/// or `none`), `username` with `password` or `passwordFile`, `from`, `heloName`,
/// `trustedCertificatesFile` (PEM) and `timeoutSeconds`.
func mailer(_ smtp: ConfigReader, logger: Logger) throws -> Mailer? {
    guard let host = smtp.string(forKey: "host") else {
        logger.notice(
            "No mail relay configured (SMTP_HOST): email notifications are kept in the local mailbox, under Notifications in the admin center"
        )
        return nil
    }
    var password = smtp.string(forKey: "password", isSecret: true)
    if password == nil, let file = smtp.string(forKey: "passwordFile") {
        password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    let securityName = smtp.string(forKey: "security", default: SMTPConfiguration.Security.startTLSWhenOffered.rawValue)
    guard let security = SMTPConfiguration.Security(rawValue: securityName) else {
        throw SMTPSecurityError(value: securityName)
    }
    let configuration = SMTPConfiguration(
        host: host,
        port: smtp.int(forKey: "port", default: 25),
        security: security,
        username: smtp.string(forKey: "username"),
        password: password,
        from: smtp.string(forKey: "from", default: "commscredits@localhost"),
        heloName: smtp.string(forKey: "heloName", default: "localhost"),
        trustedCertificatesFile: smtp.string(forKey: "trustedCertificatesFile"),
        timeout: .seconds(smtp.int(forKey: "timeoutSeconds", default: 30))
    )
    logger.info("Email notifications go through \(host):\(configuration.port)", metadata: ["security": "\(security.rawValue)"])
    return try Mailer(configuration: configuration)
}

struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
}

struct SMTPSecurityError: Error, CustomStringConvertible {
    let value: String
    var description: String { "SMTP_SECURITY must be starttls, starttls-required or none, not '\(value)'." }
}
