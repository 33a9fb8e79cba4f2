/// What a caller asks the ledger to do.
public enum LedgerCommand: Hashable, Sendable {
    /// A purchase or an auto-recharge: a new lot, which first repays any debt.
    case addFunds(source: Lot.Source, amountMinor: Int64)
    /// Spends funds at once, oldest first.
    case charge(amountMinor: Int64, coverage: ChargeCoverage)
    /// Reserves funds for a call in progress; refused beyond the available balance.
    case reserve(holdId: HoldId, amountMinor: Int64, expiresAt: Instant)
    /// Reserves more on an open hold and moves its expiry.
    case extendHold(holdId: HoldId, additionalMinor: Int64, expiresAt: Instant)
    /// Settles a hold: spends `amountMinor` (which may exceed what was held) and releases the rest.
    case postHold(holdId: HoldId, amountMinor: Int64)
    /// Releases a whole hold.
    case voidHold(holdId: HoldId)
    /// Gives back free funds of a lot to the payer.
    case refund(lotId: LotId, amountMinor: Int64)
    /// Returns part of what a settled hold spent to the lots it was spent from, the last drawn
    /// first (forfeited where a lot has expired since), repaying debt first: a call whose
    /// charge was corrected downwards.
    case creditBack(holdId: HoldId, amountMinor: Int64)

    /// The hold the command names, which the store must load.
    public var holdId: HoldId? {
        switch self {
        case let .reserve(hold, _, _), let .extendHold(hold, _, _), let .postHold(hold, _), let .voidHold(hold), let .creditBack(hold, _): hold
        case .addFunds, .charge, .refund: nil
        }
    }

    /// The request's content in one canonical line, compared on a repeat of its key.
    public var fingerprint: String {
        switch self {
        case let .addFunds(source, amount): "addFunds source=\(source.rawValue) amount=\(amount)"
        case let .charge(amount, coverage): "charge amount=\(amount) coverage=\(coverage.rawValue)"
        case let .reserve(hold, amount, expiresAt):
            "reserve hold=\(hold) amount=\(amount) expiresAt=\(expiresAt.millisecondsSinceEpoch)"
        case let .extendHold(hold, amount, expiresAt):
            "extendHold hold=\(hold) amount=\(amount) expiresAt=\(expiresAt.millisecondsSinceEpoch)"
        case let .postHold(hold, amount): "postHold hold=\(hold) amount=\(amount)"
        case let .voidHold(hold): "voidHold hold=\(hold)"
        case let .refund(lot, amount): "refund lot=\(lot) amount=\(amount)"
        case let .creditBack(hold, amount): "creditBack hold=\(hold) amount=\(amount)"
        }
    }
}

/// Whether a charge may go beyond the funds. `DOMAIN.md` allows debt only for a call record
/// that arrives after the fact (and for a hold posted above what it reserved).
public enum ChargeCoverage: String, Hashable, Sendable, CaseIterable {
    /// Refused unless the available balance covers the whole amount.
    case availableOnly
    /// What the funds do not cover becomes debt, repaid first by the next funds.
    case mayIncurDebt
}

/// A command with the key that makes it idempotent.
public struct LedgerRequest: Hashable, Sendable {
    public let key: IdempotencyKey
    public let command: LedgerCommand

    public init(key: IdempotencyKey, command: LedgerCommand) {
        self.key = key
        self.command = command
    }
}

/// What a store remembers of a request it has applied.
public struct RecordedRequest: Hashable, Sendable {
    public let fingerprint: String
    public let receipt: LedgerReceipt

    public init(fingerprint: String, receipt: LedgerReceipt) {
        self.fingerprint = fingerprint
        self.receipt = receipt
    }
}

/// Bounds on what one request may move.
public enum LedgerLimits {
    /// Far above any real purchase, far below where sums of many lots could overflow `Int64`.
    public static let maximumAmountMinor: Int64 = 1_000_000_000_000_000
    /// The most requests a store applies in one transaction.
    public static let maximumBatchSize = 8190

    public static func checkBatchSize(_ count: Int) throws(LedgerError) {
        guard count <= maximumBatchSize else { throw .batchTooLarge(count: count) }
    }
}
