/// The organization whose credits these are. Given by the caller, used as it is.
public struct TenantId: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (lhs: TenantId, rhs: TenantId) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A lot of funds, numbered by the store in the order lots are created.
public struct LotId: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (lhs: LotId, rhs: LotId) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A reservation of funds, named by the caller (a call's session id, for example); unique
/// within a tenant.
public struct HoldId: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (lhs: HoldId, rhs: HoldId) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A journal transaction, numbered by the store in the order transactions are written.
public struct TransactionId: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (lhs: TransactionId, rhs: TransactionId) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The caller's name for one request: the same key with the same content returns the first
/// result; with other content it is refused. Unique per tenant, enforced by the store.
public struct IdempotencyKey: Hashable, Sendable, CustomStringConvertible {
    public static let maximumLength = 200
    public let rawValue: String

    /// Refuses an empty key, one longer than `maximumLength`, one with control characters, or
    /// one starting with `~`, which marks the keys of the ledger's own transactions.
    public init(_ rawValue: String) throws(LedgerError) {
        guard !rawValue.isEmpty, rawValue.utf8.count <= Self.maximumLength, !rawValue.hasPrefix("~"),
              !rawValue.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw LedgerError.invalidIdempotencyKey }
        self.rawValue = rawValue
    }

    /// The key of a transaction the ledger makes by itself (an expiry, a time-out).
    init(system rawValue: String) {
        self.rawValue = "~" + rawValue
    }

    /// A key read back from a store, which was checked when it was written.
    public init(stored rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

/// Hands out lot and transaction numbers; the store seeds it from what it already holds.
public struct LedgerIdAllocator: Sendable {
    public private(set) var nextLotId: Int64
    public private(set) var nextTransactionId: Int64

    public init(nextLotId: Int64, nextTransactionId: Int64) {
        self.nextLotId = nextLotId
        self.nextTransactionId = nextTransactionId
    }

    mutating func lotId() -> LotId {
        defer { nextLotId += 1 }
        return LotId(nextLotId)
    }

    mutating func transactionId() -> TransactionId {
        defer { nextTransactionId += 1 }
        return TransactionId(nextTransactionId)
    }
}
