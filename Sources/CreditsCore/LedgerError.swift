/// Why the ledger refused a request. Each has a stable code for programs and a sentence for
/// people; nothing is written when a request is refused.
public enum LedgerError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidIdempotencyKey
    case invalidAmount(minimumMinor: Int64, maximumMinor: Int64)
    case insufficientBalance(availableMinor: Int64)
    case idempotencyConflict(IdempotencyKey)
    case holdAlreadyExists(HoldId)
    case unknownHold(HoldId)
    case holdNotOpen(HoldId, Hold.State)
    case holdExpiryNotInFuture(HoldId)
    case refundExceedsFreeFunds(LotId, freeMinor: Int64)
    case holdNotSettled(HoldId)
    case creditBackExceedsSpent(HoldId, spentMinor: Int64)
    case unknownAccount(TenantId)
    case currencyMismatch(TenantId, existing: Currency)
    case batchTooLarge(count: Int)

    public var code: ProblemCode {
        switch self {
        case .invalidIdempotencyKey: .invalidIdempotencyKey
        case .invalidAmount: .invalidAmount
        case .insufficientBalance: .insufficientBalance
        case .idempotencyConflict: .idempotencyConflict
        case .holdAlreadyExists: .holdAlreadyExists
        case .unknownHold: .unknownHold
        case .holdNotOpen: .holdNotOpen
        case .holdExpiryNotInFuture: .holdExpiryNotInFuture
        case .refundExceedsFreeFunds: .refundExceedsFreeFunds
        case .holdNotSettled: .holdNotSettled
        case .creditBackExceedsSpent: .creditBackExceedsSpent
        case .unknownAccount: .unknownAccount
        case .currencyMismatch: .currencyMismatch
        case .batchTooLarge: .batchTooLarge
        }
    }

    public var description: String {
        switch self {
        case .invalidIdempotencyKey:
            "The idempotency key must be 1 to \(IdempotencyKey.maximumLength) bytes, without control characters, and must not start with '~'."
        case let .invalidAmount(minimum, maximum):
            "The amount must be between \(minimum) and \(maximum) minor units."
        case let .insufficientBalance(available):
            "The available balance (\(available) minor units) does not cover this amount; add funds or turn on auto-recharge."
        case let .idempotencyConflict(key):
            "The idempotency key '\(key)' was already used for a different request; use a new key for a new request."
        case let .holdAlreadyExists(hold):
            "A hold named '\(hold)' already exists; name each reservation once."
        case let .unknownHold(hold):
            "There is no hold named '\(hold)'."
        case let .holdNotOpen(hold, state):
            "The hold '\(hold)' is already settled (\(state.rawValue)); it cannot change."
        case let .holdExpiryNotInFuture(hold):
            "The hold '\(hold)' must expire after the time of the request."
        case let .refundExceedsFreeFunds(lot, free):
            "Lot \(lot) has only \(free) minor units free to refund."
        case let .holdNotSettled(hold):
            "The hold '\(hold)' is still open; settle it before giving any of it back."
        case let .creditBackExceedsSpent(hold, spent):
            "The hold '\(hold)' has only \(spent) minor units spent from lots that can be given back."
        case let .unknownAccount(tenant):
            "Tenant '\(tenant)' has no credits account."
        case let .currencyMismatch(tenant, existing):
            "Tenant '\(tenant)' already keeps its credits in \(existing.code)."
        case let .batchTooLarge(count):
            "A batch holds at most \(LedgerLimits.maximumBatchSize) requests, not \(count); split it."
        }
    }
}
