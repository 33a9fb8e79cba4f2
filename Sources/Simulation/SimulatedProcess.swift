import CreditsCore
import CreditsEngine
import CreditsStore
import CreditsStorePostgres
import CreditsStoreSQLite
import Logging
import Notifications
import Payments
import Synchronization

/// Where the simulation keeps its data: a SQLite file, or a database of its own on a
/// PostgreSQL server.
enum SimulatedDatabase {
    case sqliteFile(String)
    case postgres(PostgresAddress)
}

/// One life of the service over the simulation's database: the stores and the services as
/// `commscredits serve` wires them. When it dies (`Lifeline.kill`) its database is closed (a
/// SQLite file) or abandoned (PostgreSQL connections) at once, so nothing it does afterwards
/// reaches the disk; the next life opens the database again.
struct SimulatedProcess {
    let stores: Stores
    let directory: DirectoryService
    let billing: BillingService
    let calls: CallService
    let controls: CallControlService
    let dueWork: DueWork

    static let callSettings = CallDesk.Settings(quotaSeconds: 600)

    init(database: SimulatedDatabase, world: SimulatedWorld) async throws {
        let base: Stores
        switch database {
        case let .sqliteFile(path):
            let sqlite = try SQLiteStores(path: path)
            world.lifeline.revive { try? sqlite.close() }
            base = sqlite.stores
        case let .postgres(address):
            // The previous life's connections are closed first, as a dead process's are, with the work locks they held.
            await world.lifeline.buried()
            let postgres = PostgresDatabase(address, logger: Logger(label: "simulation", factory: { _ in SwiftLogNoOpLogHandler() }))
            // A life ends when the simulation kills it, not where a scope of code ends: its
            // client runs in a task of its own, cancelled (its connections closed) when buried.
            let client = Task { await postgres.run() }
            world.lifeline.revive(
                { postgres.abandon() },
                buried: {
                    client.cancel()
                    await client.value
                }
            )
            try await postgres.migrate()
            base = PostgresStores(database: postgres).stores
        }
        let ledger = FaultyLedgerStore(base: base.ledger, world: world)
        stores = Stores(
            ledger: ledger,
            directory: base.directory,
            billing: base.billing,
            calls: base.calls,
            access: base.access,
            answers: base.answers,
            notifications: base.notifications,
            locks: base.locks
        )
        let logger = Logger(label: "simulation", factory: { _ in SwiftLogNoOpLogHandler() })
        let services = CreditsServices(stores: stores, clock: world.clock)
        directory = services.directory
        billing = BillingService(stores: stores, gateway: world.gateway, clock: world.clock, logger: logger)
        calls = CallService(stores: stores, billing: billing, clock: world.clock, settings: Self.callSettings)
        controls = services.controls
        let dispatcher = NotificationDispatcher(stores: stores, courier: world.courier, clock: world.clock, logger: logger)
        dueWork = DueWork(
            stores: stores,
            billing: billing,
            calls: calls,
            clock: world.clock,
            logger: logger,
            deliverNotifications: { try await dispatcher.deliverDue() }
        )
    }
}

/// Whether the current life of the service is alive, and the means to end it.
final class Lifeline: Sendable {
    private let current = Mutex<(end: (@Sendable () -> Void)?, buried: (@Sendable () async -> Void)?, dead: Bool)>((nil, nil, false))

    var isDead: Bool { current.withLock { $0.dead } }

    /// A new life, which `end` closes the database of; `buried` waits until it is closed.
    func revive(_ end: @escaping @Sendable () -> Void, buried: (@Sendable () async -> Void)? = nil) {
        current.withLock { $0 = (end, buried, false) }
    }

    /// Waits until the database of the life that ended is closed.
    func buried() async {
        await current.withLock { $0.buried }?()
    }

    /// The process dies: its database closes under it, whatever it was doing.
    func kill() {
        current.withLock { state in
            guard !state.dead else { return }
            state.dead = true
            state.end?()
        }
    }
}

/// Thrown where the simulated process died.
struct SimulatedCrash: Error {}

/// The ledger store with the simulation's faults: the process may die just after a write
/// committed (before the caller heard of it); and, when a bug is planted, it misbehaves as
/// the bug says, to prove that the checks catch it.
struct FaultyLedgerStore: LedgerStore {
    let base: any LedgerStore
    let world: SimulatedWorld

    func execute(_ requests: [LedgerRequest], for tenantId: TenantId, at now: Instant) async throws -> [Result<LedgerReceipt, LedgerError>] {
        let planted = requests.map { world.planted(on: $0) }
        let results = try await base.execute(planted.map(\.request), for: tenantId, at: planted.first?.bookedAt ?? now)
        if let key = requests.first?.key.rawValue, world.decides(1, in: 12, naming: ["ledger-crash", key]) {
            world.lifeline.kill()
            throw SimulatedCrash()
        }
        return results
    }

    func openAccount(_ tenantId: TenantId, currency: Currency, at now: Instant) async throws {
        try await base.openAccount(tenantId, currency: currency, at: now)
    }

    func settleDue(at now: Instant) async throws -> Int { try await base.settleDue(at: now) }
    func statement(for tenantId: TenantId, at now: Instant) async throws -> CreditStatement { try await base.statement(for: tenantId, at: now) }
    func transactions(for tenantId: TenantId, before: TransactionId?, limit: Int) async throws -> [JournalTransaction] {
        try await base.transactions(for: tenantId, before: before, limit: limit)
    }
    func tenantIds() async throws -> [TenantId] { try await base.tenantIds() }
    func verify() async throws -> LedgerVerification { try await base.verify() }
    func openHoldCount() async throws -> Int { try await base.openHoldCount() }
    func ping() async throws { try await base.ping() }
}
