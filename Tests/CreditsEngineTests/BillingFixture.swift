import CreditsCore
import CreditsEngine
import CreditsStore
import CreditsStorePostgres
import CreditsStoreSQLite
import Foundation
import Logging
import Payments
import PostgresTestSupport
import Synchronization
import Testing

/// A real SQLite file (a new PostgreSQL database instead when the conformance suite has a
/// server: `TestPostgres`), the sandbox gateway and a clock that moves when told; a web-direct
/// tenant in the US (unless told otherwise) with one user who can hold any license.
struct Billing {
    enum Database {
        case sqlite(path: String)
        case postgres(PostgresAddress)

        static func fresh() async throws -> Database {
            if TestPostgres.server != nil { return .postgres(try await TestPostgres.freshAddress()) }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("billing-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return .sqlite(path: directory.appendingPathComponent("credits.sqlite").path)
        }

        func open() async throws -> Stores {
            switch self {
            case let .sqlite(path): try SQLiteStores(path: path).stores
            case let .postgres(address): PostgresStores(database: try await .started(address)).stores
            }
        }
    }

    static let start = ISO8601.parse("2027-03-01T09:00:00Z")!

    let database: Database
    let clock = ManualClock(start)
    let gateway: SandboxPaymentGateway
    let stores: Stores
    let service: BillingService
    let wakeUps = Counter()
    let tenant = TenantId("fabrikam")

    init(
        channel: SalesChannel = .webDirect,
        commerceModel: CommerceModel = .classic,
        country: String = "US",
        agreements: [(String, String)] = [],
        database: Database? = nil,
        gateway: SandboxPaymentGateway = SandboxPaymentGateway()
    ) async throws {
        let opened = if let database { database } else { try await Database.fresh() }
        self.database = opened
        self.gateway = gateway
        stores = try await opened.open()
        let wakeUps = wakeUps
        service = BillingService(
            stores: stores,
            gateway: gateway,
            clock: clock,
            logger: Logger(label: "test"),
            rechargeStarted: { wakeUps.increment() }
        )
        guard database == nil else { return }
        let account = try BillingAccount(
            channel: channel,
            commerceModel: commerceModel,
            agreements: agreements.map { try EnterpriseAgreement(number: $0.0, billingCountry: CountryCode($0.1)!) }
        )
        try await directoryService.createTenant(
            Tenant(
                id: tenant,
                name: "Fabrikam",
                country: CountryCode(country)!,
                currency: .usd,
                billingAccount: account,
                createdAt: clock.now()
            )
        )
    }

    /// The same database and gateway, as after a restart of the service.
    func restarted() async throws -> Billing {
        try await Billing(database: database, gateway: gateway)
    }

    var directoryService: DirectoryService { DirectoryService(stores: stores, clock: clock) }

    func key(_ text: String) -> IdempotencyKey { try! IdempotencyKey(text) }

    @discardableResult
    func buy(
        _ amountMinor: Int64,
        token: String = "tok_visa",
        key: String = UUID().uuidString,
        autoRecharge: AutoRechargeSettings? = nil
    ) async throws -> PurchaseRecord {
        try await service.purchase(
            PurchaseOrder(amountMinor: amountMinor, payment: .card(token: token), autoRecharge: autoRecharge),
            for: tenant,
            key: self.key(key)
        )
    }

    func balance() async throws -> CreditFigures {
        try await stores.ledger.statement(for: tenant, at: clock.now()).figures
    }

    func lots() async throws -> [Lot] {
        try await stores.ledger.statement(for: tenant, at: clock.now()).lots
    }

    func autoRecharge(_ rechargeMinor: Int64, below triggerMinor: Int64) -> AutoRechargeSettings {
        try! AutoRechargeSettings(enabled: true, rechargeAmountMinor: rechargeMinor, triggerAmountMinor: triggerMinor, currency: .usd)
    }
}

/// Runs `operation`, expecting the refusal with `code`; returns it.
@discardableResult
func expectRefusal(
    _ code: ProblemCode,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ operation: () async throws -> some Any
) async -> Refusal? {
    do {
        _ = try await operation()
        Issue.record("expected the refusal \(code), but it succeeded", sourceLocation: sourceLocation)
    } catch let error as Refusal {
        #expect(error.code == code, sourceLocation: sourceLocation)
        return error
    } catch let error as LedgerError {
        #expect(error.code == code, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected the refusal \(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
