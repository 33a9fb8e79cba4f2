public import CreditsCore

/// Where the credits ledger lives. Every implementation keeps the same promises:
/// - `execute` applies a batch in one durable transaction, with the rules of `CreditAccount`;
/// - an idempotency key is unique per tenant, enforced by the store itself;
/// - nothing of a refused request is written, and a failure writes nothing at all.
public protocol LedgerStore: Sendable {
    /// Opens a tenant's credits account; opening it again in the same currency does nothing.
    func openAccount(_ tenantId: TenantId, currency: Currency, at now: Instant) async throws

    /// Applies up to `LedgerLimits.maximumBatchSize` requests in order, in one transaction; one
    /// result per request. Throws `LedgerError.unknownAccount` or `.batchTooLarge`.
    func execute(
        _ requests: [LedgerRequest],
        for tenantId: TenantId,
        at now: Instant
    ) async throws
        -> [Result<LedgerReceipt, LedgerError>]

    /// Settles what fell due by `now` in every account (expiries, hold time-outs); returns how
    /// many transactions that wrote.
    func settleDue(at now: Instant) async throws -> Int

    func statement(for tenantId: TenantId, at now: Instant) async throws -> CreditStatement

    /// The newest transactions first, up to `limit`, older than `before` when given.
    func transactions(for tenantId: TenantId, before: TransactionId?, limit: Int) async throws -> [JournalTransaction]

    func tenantIds() async throws -> [TenantId]

    /// Recomputes every lot, hold and debt from the journal and compares.
    func verify() async throws -> LedgerVerification

    /// How many holds are open in every account (for `/metrics`).
    func openHoldCount() async throws -> Int

    /// Returns when the store answers; throws when it cannot serve.
    func ping() async throws
}

extension LedgerStore {
    /// Applies one request; a refusal is thrown as its `LedgerError`.
    public func execute(_ request: LedgerRequest, for tenantId: TenantId, at now: Instant) async throws -> LedgerReceipt {
        try await execute([request], for: tenantId, at: now)[0].get()
    }
}
