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
    let records: AccountRecords
    let answers: any AnswerStore
    let webhooks: WebhookRegistry
    let calls: CallService
    let access: AccessService
    let limiter: RateLimiter
    /// Requests without a working credential, by client address: sign-ins, unknown tokens.
    let anonymous: RateLimiter
    let secureCookies: Bool
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
        records = AccountRecords(stores: services.stores)
        answers = services.stores.answers
        webhooks = WebhookRegistry(stores: services.stores, clock: services.clock, policy: webhookPolicy)
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
            .add(middleware: IdempotencyMiddleware(store: answers, clock: clock))
        accessRoutes.add(to: router)
        TenantRoutes(directory: directory, clock: clock).add(to: router)
        NumberRoutes(directory: directory).add(to: router)
        ControlRoutes(controls: controls, directory: directory).add(to: router)
        CreditsRoutes(directory: directory, billing: billing, records: records, clock: clock).add(to: router)
        InvoiceRoutes(directory: directory, records: records).add(to: router)
        RateRoutes(calls: calls, clock: clock).add(to: router)
        CallRoutes(directory: directory, calls: calls, records: records, clock: clock).add(to: router)
        NotificationRoutes(directory: directory, webhooks: webhooks, records: records).add(to: router)
        ReportRoutes(directory: directory, records: records, clock: clock).add(to: router)
        if let testClock { TestClockRoutes(clock: testClock.clock, dueWork: testClock.dueWork).add(to: router) }
    }
}
