public import CreditsCore

/// The ledger in memory: the same rules as the database stores, nothing kept on disk.
/// For tests and simulations that want the rules without I/O.
public actor InMemoryLedgerStore: LedgerStore {
    private struct Book {
        var account: CreditAccount
        var lots: [LotId: Lot] = [:]
        var holds: [HoldId: Hold] = [:]
        var journal: [JournalTransaction] = []
        var recorded: [IdempotencyKey: RecordedRequest] = [:]
    }

    private var books: [TenantId: Book] = [:]
    private var ids = LedgerIdAllocator(nextLotId: 1, nextTransactionId: 1)

    public init() {}

    public func openAccount(_ tenantId: TenantId, currency: Currency, at now: Instant) throws {
        if let existing = books[tenantId] {
            guard existing.account.currency == currency else {
                throw LedgerError.currencyMismatch(tenantId, existing: existing.account.currency)
            }
            return
        }
        books[tenantId] = Book(account: CreditAccount(tenantId: tenantId, currency: currency, liveLots: [], holds: [], debtMinor: 0))
    }

    public func execute(
        _ requests: [LedgerRequest],
        for tenantId: TenantId,
        at now: Instant
    ) throws
        -> [Result<LedgerReceipt, LedgerError>]
    {
        try LedgerLimits.checkBatchSize(requests.count)
        guard var book = books[tenantId] else { throw LedgerError.unknownAccount(tenantId) }
        var results: [Result<LedgerReceipt, LedgerError>] = []
        for request in requests {
            results.append(book.account.execute(request, at: now, ids: &ids, recorded: book.recorded))
        }
        apply(&book)
        books[tenantId] = book
        return results
    }

    public func settleDue(at now: Instant) -> Int {
        var written = 0
        for tenantId in books.keys {
            books[tenantId]!.account.settleDue(at: now, ids: &ids)
            written += apply(&books[tenantId]!)
        }
        return written
    }

    @discardableResult
    private func apply(_ book: inout Book) -> Int {
        let changes = book.account.takeChanges()
        for transaction in changes.transactions {
            book.journal.append(transaction)
            book.recorded[transaction.idempotencyKey] = RecordedRequest(fingerprint: transaction.fingerprint, receipt: transaction.receipt)
        }
        book.lots.merge(changes.lots) { $1 }
        book.holds.merge(changes.holds) { $1 }
        return changes.transactions.count
    }

    public func statement(for tenantId: TenantId, at now: Instant) throws -> CreditStatement {
        guard let book = books[tenantId] else { throw LedgerError.unknownAccount(tenantId) }
        return CreditStatement(
            tenantId: tenantId,
            currency: book.account.currency,
            lots: Array(book.lots.values),
            openHolds: book.holds.values.filter { $0.state == .open },
            debtMinor: book.account.debtMinor,
            asOf: now
        )
    }

    public func transactions(for tenantId: TenantId, before: TransactionId?, limit: Int) throws -> [JournalTransaction] {
        guard let book = books[tenantId] else { throw LedgerError.unknownAccount(tenantId) }
        return Array(book.journal.reversed().lazy.filter { before == nil || $0.receipt.transactionId < before! }.prefix(limit))
    }

    public func tenantIds() -> [TenantId] { books.keys.sorted() }

    public func ping() {}

    public func openHoldCount() -> Int {
        books.values.reduce(0) { $0 + $1.holds.values.filter { $0.state == .open }.count }
    }

    public func verify() -> LedgerVerification {
        var audit = LedgerAudit()
        for (tenantId, book) in books.sorted(by: { $0.key < $1.key }) {
            for transaction in book.journal {
                audit.record(transaction.receipt.transactionId, of: tenantId, entries: transaction.entries)
            }
            for lot in book.lots.values { audit.compare(lot) }
            audit.compare(
                tenantId: tenantId,
                debtMinor: book.account.debtMinor,
                openHolds: book.holds.values.filter { $0.state == .open },
                lots: Array(book.lots.values)
            )
        }
        return audit.finish()
    }
}
