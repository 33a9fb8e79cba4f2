import CreditsCore
import CreditsStore
import CreditsStorePostgres
import CreditsStoreSQLite
import Foundation
import PostgresTestSupport
import Testing

/// The stores every ledger test runs against: PostgreSQL too when the conformance suite has a
/// server (`TestPostgres`).
enum StoreKind: String, CaseIterable, CustomStringConvertible {
    case memory
    case sqliteFile
    case postgres

    static var allCases: [StoreKind] { TestPostgres.server == nil ? [.memory, .sqliteFile] : [.memory, .sqliteFile, .postgres] }

    var description: String { rawValue }
}

/// A fresh store with one USD account, and shorthand for driving it.
struct Ledger {
    let kind: StoreKind
    let directory: URL
    private(set) var store: any LedgerStore
    private var postgres: PostgresAddress?
    let tenant = TenantId("contoso")

    static let start = ISO8601.parse("2027-01-10T09:00:00Z")!

    init(_ kind: StoreKind, currency: Currency = .usd) async throws {
        self.kind = kind
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        switch kind {
        case .memory: store = InMemoryLedgerStore()
        case .sqliteFile: store = try SQLiteLedgerStore(path: directory.appendingPathComponent("ledger.sqlite").path)
        case .postgres:
            let address = try await TestPostgres.freshAddress()
            postgres = address
            store = PostgresStores(database: try await .started(address)).ledger
        }
        try await store.openAccount(tenant, currency: currency, at: Self.start)
    }

    var databasePath: String { directory.appendingPathComponent("ledger.sqlite").path }

    /// Closes and opens the database again (the in-memory store has nothing to reopen).
    mutating func reopen() async throws {
        switch kind {
        case .memory: return
        case .sqliteFile: store = try SQLiteLedgerStore(path: databasePath)
        case .postgres: store = PostgresStores(database: try await .started(postgres!)).ledger
        }
    }

    func run(_ key: String, _ command: LedgerCommand, at now: Instant) async throws -> Result<LedgerReceipt, LedgerError> {
        try await store.execute([LedgerRequest(key: IdempotencyKey(key), command: command)], for: tenant, at: now)[0]
    }

    @discardableResult
    func ok(
        _ key: String,
        _ command: LedgerCommand,
        at now: Instant = start,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> LedgerReceipt {
        let result = try await run(key, command, at: now)
        guard case let .success(receipt) = result else {
            Issue.record("expected success, got \(result)", sourceLocation: sourceLocation)
            throw LedgerError.invalidIdempotencyKey
        }
        return receipt
    }

    /// Runs a request that must be refused, and checks that it changed nothing.
    func refused(
        _ key: String,
        _ command: LedgerCommand,
        at now: Instant = start,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> LedgerError? {
        let before = try await snapshot(at: now)
        let result = try await run(key, command, at: now)
        guard case let .failure(error) = result else {
            Issue.record("expected a refusal, got \(result)", sourceLocation: sourceLocation)
            return nil
        }
        #expect(try await snapshot(at: now) == before, "a refusal must change nothing", sourceLocation: sourceLocation)
        return error
    }

    func statement(at now: Instant = start) async throws -> CreditStatement {
        try await store.statement(for: tenant, at: now)
    }

    func figures(at now: Instant = start) async throws -> CreditFigures {
        try await statement(at: now).figures
    }

    func lot(_ id: LotId?, at now: Instant = start) async throws -> Lot {
        try #require(try await statement(at: now).lots.first { $0.id == id })
    }

    /// The transactions written after `seen`, oldest first, read a page at a time from the newest.
    func transactions(after seen: TransactionId) async throws -> [JournalTransaction] {
        var fresh: [JournalTransaction] = []
        var before: TransactionId?
        var pageSize = 4
        while true {
            let page = try await store.transactions(for: tenant, before: before, limit: pageSize)
            pageSize = 64
            let newer = page.prefix { $0.receipt.transactionId > seen }
            fresh += newer
            guard newer.count == page.count, let last = page.last else { break }
            before = last.receipt.transactionId
        }
        return fresh.reversed()
    }

    /// Everything observable: figures, lots, open holds and the newest transactions.
    func snapshot(at now: Instant) async throws -> Snapshot {
        let statement = try await statement(at: now)
        return Snapshot(
            figures: statement.figures,
            lots: statement.lots,
            openHolds: statement.openHolds.sorted { $0.id < $1.id },
            journal: try await store.transactions(for: tenant, before: nil, limit: 3)
        )
    }

    struct Snapshot: Equatable {
        let figures: CreditFigures
        let lots: [Lot]
        let openHolds: [Hold]
        let journal: [JournalTransaction]
    }
}

extension Instant {
    static func at(_ text: String) -> Instant { ISO8601.parse(text)! }
}
