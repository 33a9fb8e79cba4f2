public import CreditsCore
public import CreditsEngine
import CreditsStore
public import Hummingbird
import Notifications
import Reports

/// The HTTP API of `API.md`: thin routes that parse, call a service and render.
public struct CreditsAPI: Sendable {
    let directory: DirectoryService
    let controls: CallControlService
    let billing: BillingService
    let stores: Stores
    let calls: CallService
    let access: AccessService
    let limiter: RateLimiter
    /// Requests without a working credential, by client address: sign-ins, unknown tokens.
    let anonymous: RateLimiter
    let secureCookies: Bool
    let webhookPolicy: WebhookAddress.Policy
    let clock: any CreditsClock
    /// Set when the server runs on a test clock: its routes are added.
    let testClock: (clock: ManualClock, dueWork: DueWork)?

    public init(
        services: CreditsServices,
        billing: BillingService,
        calls: CallService,
        limits: RateLimiter.Settings = RateLimiter.Settings(),
        anonymousLimits: RateLimiter.Settings = RateLimiter.Settings(perSecond: 10, burst: 100),
        webhookPolicy: WebhookAddress.Policy = WebhookAddress.Policy(),
        secureCookies: Bool = true,
        testClock: (clock: ManualClock, dueWork: DueWork)? = nil
    ) {
        directory = services.directory
        controls = services.controls
        self.billing = billing
        self.calls = calls
        access = services.access
        limiter = RateLimiter(limits)
        anonymous = RateLimiter(anonymousLimits)
        self.secureCookies = secureCookies
        self.webhookPolicy = webhookPolicy
        stores = services.stores
        clock = services.clock
        self.testClock = testClock
    }

    /// Every route under `/v1` but signing in is behind the authentication middleware.
    public func addRoutes(to router: Router<APIRequestContext>) {
        router.add(middleware: ProblemMiddleware())
        let accessRoutes = AccessRoutes(access: access, secureCookies: secureCookies)
        accessRoutes.addSignIn(to: router, anonymous: anonymous)
        let router = router.group()
            .add(middleware: AuthenticationMiddleware(access: access, limiter: limiter, anonymous: anonymous))
            .add(middleware: IdempotencyMiddleware(store: stores.answers, clock: clock))
        accessRoutes.add(to: router)
        TenantRoutes(directory: directory, stores: stores, clock: clock).add(to: router)
        NumberRoutes(directory: directory).add(to: router)
        ControlRoutes(controls: controls, directory: directory).add(to: router)
        CreditsRoutes(directory: directory, billing: billing, stores: stores, clock: clock).add(to: router)
        InvoiceRoutes(directory: directory, stores: stores).add(to: router)
        RateRoutes(calls: calls, clock: clock).add(to: router)
        CallRoutes(directory: directory, calls: calls, stores: stores, clock: clock).add(to: router)
        NotificationRoutes(directory: directory, webhooks: WebhookRegistry(stores: stores, clock: clock, policy: webhookPolicy), stores: stores).add(
            to: router
        )
        ReportRoutes(directory: directory, stores: stores, clock: clock).add(to: router)
        if let testClock { TestClockRoutes(clock: testClock.clock, dueWork: testClock.dueWork).add(to: router) }
    }
}
