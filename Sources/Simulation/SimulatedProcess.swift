import CreditsCore
import CreditsEngine
import CreditsStore
import CreditsStoreSQLite
import Logging
import Notifications
import Payments
import Synchronization

/// One life of the service over the simulation's SQLite file: the stores and the services as
/// `commscredits serve` wires them. When it dies (`Lifeline.kill`) its file is closed at once,
/// so nothing it does afterwards reaches the disk; the next life opens the file again.
struct SimulatedProcess {
    let stores: Stores
    let directory: DirectoryService
    let billing: BillingService
    let calls: CallService
    let dueWork: DueWork

    static let callSettings = CallDesk.Settings(quotaSeconds: 600)

    init(path: String, world: SimulatedWorld) throws {
        let sqlite = try SQLiteStores(path: path)
        world.lifeline.revive(sqlite)
        let base = sqlite.stores
        let ledger = FaultyLedgerStore(base: base.ledger, world: world)
        stores = Stores(ledger: ledger, directory: base.directory, billing: base.billing, calls: base.calls, access: base.access,
                        answers: base.answers, notifications: base.notifications, locks: base.locks)
        let logger = Logger(label: "simulation", factory: { _ in SwiftLogNoOpLogHandler() })
        directory = DirectoryService(stores: stores, clock: world.clock)
        billing = BillingService(stores: stores, gateway: world.gateway, clock: world.clock, logger: logger)
        calls = CallService(stores: stores, billing: billing, clock: world.clock, settings: Self.callSettings)
        let dispatcher = NotificationDispatcher(stores: stores, courier: world.courier, clock: world.clock, logger: logger)
        dueWork = DueWork(stores: stores, billing: billing, calls: calls, clock: world.clock, logger: logger,
                          deliverNotifications: { try await dispatcher.deliverDue() })
    }
}

/// Whether the current life of the service is alive, and the means to end it.
final class Lifeline: Sendable {
    private let current = Mutex<(stores: SQLiteStores?, dead: Bool)>((nil, false))

    var isDead: Bool { current.withLock { $0.dead } }

    func revive(_ stores: SQLiteStores) {
        current.withLock { $0 = (stores, false) }
    }

    /// The process dies: its database closes under it, whatever it was doing.
    func kill() {
        current.withLock { state in
            guard !state.dead else { return }
            state.dead = true
            try? state.stores?.close()
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
