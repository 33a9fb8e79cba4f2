/// Where an entry puts money. The entries of one transaction sum to zero, so the balances of
/// all accounts always do too:
/// `funding + free + held + consumption + forfeiture + debt = 0`, which is the conservation
/// law `bought - refunded = consumed + forfeited + free + held - debt`.
public enum LedgerAccount: String, Hashable, Sendable, CaseIterable {
    /// The payer's side: negative by what was bought, positive by what was refunded (the
    /// entry names the lot).
    case funding
    /// A lot's spendable remainder (the entry names the lot).
    case lotFree
    /// A lot's part reserved by a hold (the entry names the lot and the hold).
    case lotHeld
    /// Spent on calls.
    case consumption
    /// Lost at a lot's expiry (the entry names the lot).
    case forfeiture
    /// Owed by the tenant: negative by what is owed.
    case debt
}

public struct JournalEntry: Hashable, Sendable {
    public let account: LedgerAccount
    public let lotId: LotId?
    public let holdId: HoldId?
    public let amountMinor: Int64

    public init(account: LedgerAccount, lotId: LotId? = nil, holdId: HoldId? = nil, amountMinor: Int64) {
        self.account = account
        self.lotId = lotId
        self.holdId = holdId
        self.amountMinor = amountMinor
    }
}

public enum TransactionKind: String, Hashable, Sendable, CaseIterable {
    case purchase
    case recharge
    case charge
    case reserve
    case extendHold
    case postHold
    case voidHold
    case holdTimeout
    case lotExpiry
    case refund
    /// Part of a call's charge given back, when a late end replaced its time-out charge.
    case creditBack
}

/// What a transaction did, returned to its caller and, for a repeat, returned again.
public struct LedgerReceipt: Hashable, Sendable {
    public let transactionId: TransactionId
    public let kind: TransactionKind
    public let occurredAt: Instant
    /// The amount the command named (bought, charged, reserved, posted...).
    public let amountMinor: Int64
    /// Spent on usage by this transaction, from lots and as debt; negative for a credit-back.
    public let consumedMinor: Int64
    /// Of that, what went beyond the funds and became debt.
    public let debtIncurredMinor: Int64
    /// Debt paid back from funds by this transaction.
    public let debtRepaidMinor: Int64
    /// Held funds given back by this transaction.
    public let releasedMinor: Int64
    public let forfeitedMinor: Int64
    public let lotId: LotId?
    public let holdId: HoldId?
    public let balanceAfterMinor: Int64
    public let availableAfterMinor: Int64

    public init(
        transactionId: TransactionId,
        kind: TransactionKind,
        occurredAt: Instant,
        amountMinor: Int64,
        consumedMinor: Int64,
        debtIncurredMinor: Int64,
        debtRepaidMinor: Int64,
        releasedMinor: Int64,
        forfeitedMinor: Int64,
        lotId: LotId?,
        holdId: HoldId?,
        balanceAfterMinor: Int64,
        availableAfterMinor: Int64
    ) {
        self.transactionId = transactionId
        self.kind = kind
        self.occurredAt = occurredAt
        self.amountMinor = amountMinor
        self.consumedMinor = consumedMinor
        self.debtIncurredMinor = debtIncurredMinor
        self.debtRepaidMinor = debtRepaidMinor
        self.releasedMinor = releasedMinor
        self.forfeitedMinor = forfeitedMinor
        self.lotId = lotId
        self.holdId = holdId
        self.balanceAfterMinor = balanceAfterMinor
        self.availableAfterMinor = availableAfterMinor
    }
}

/// One balanced set of entries with the request that caused it.
public struct JournalTransaction: Hashable, Sendable {
    public let idempotencyKey: IdempotencyKey
    /// The request's content in canonical form: a repeat must match it exactly.
    public let fingerprint: String
    public let entries: [JournalEntry]
    public let receipt: LedgerReceipt

    public init(idempotencyKey: IdempotencyKey, fingerprint: String, entries: [JournalEntry], receipt: LedgerReceipt) {
        precondition(entries.reduce(0) { $0 + $1.amountMinor } == 0, "a journal transaction must balance")
        self.idempotencyKey = idempotencyKey
        self.fingerprint = fingerprint
        self.entries = entries
        self.receipt = receipt
    }
}
