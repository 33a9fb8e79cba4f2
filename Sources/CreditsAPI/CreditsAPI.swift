public import CreditsEngine
public import CreditsStore
public import Hummingbird

/// The HTTP API of `API.md`: thin routes that parse, call a service and render.
public struct CreditsAPI: Sendable {
    let directory: DirectoryService
    let billing: BillingService
    let stores: Stores
    let clock: any CreditsClock

    public init(billing: BillingService, stores: Stores, clock: any CreditsClock) {
        directory = DirectoryService(stores: stores, clock: clock)
        self.billing = billing
        self.stores = stores
        self.clock = clock
    }

    public func addRoutes(to router: Router<APIRequestContext>) {
        router.add(middleware: ProblemMiddleware())
        TenantRoutes(directory: directory, stores: stores, clock: clock).add(to: router)
        CreditsRoutes(directory: directory, billing: billing, stores: stores, clock: clock).add(to: router)
        InvoiceRoutes(directory: directory, stores: stores).add(to: router)
    }
}
