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

/// Hands out lot and transaction numbers: counting on from what the store holds (a single
/// writer), or from numbers reserved in advance (several writers sharing a database sequence).
/// Reserved numbers may run out: the allocator then counts on past the last one and says how
/// many more it needed, and the store must reserve them and run the work again, writing nothing
/// numbered past the reservation.
public struct LedgerIdAllocator: Sendable {
    private var lotIds: IdSource
    private var transactionIds: IdSource

    public init(nextLotId: Int64, nextTransactionId: Int64) {
        lotIds = IdSource(next: nextLotId)
        transactionIds = IdSource(next: nextTransactionId)
    }

    /// Hands out exactly these numbers, in order; each list in ascending order.
    public init(reservedLotIds: [Int64], reservedTransactionIds: [Int64]) {
        lotIds = IdSource(reserved: reservedLotIds)
        transactionIds = IdSource(reserved: reservedTransactionIds)
    }

    /// How many numbers were asked for beyond the reservation.
    public var lotIdsShort: Int { lotIds.short }
    public var transactionIdsShort: Int { transactionIds.short }
    public var isShort: Bool { lotIds.short > 0 || transactionIds.short > 0 }

    mutating func lotId() -> LotId { LotId(lotIds.take()) }

    mutating func transactionId() -> TransactionId { TransactionId(transactionIds.take()) }

    private struct IdSource: Sendable {
        var next: Int64
        var reserved: [Int64]?
        var position = 0
        var short = 0

        init(next: Int64) { self.next = next }

        init(reserved: [Int64]) {
            next = (reserved.last ?? 0) + 1
            self.reserved = reserved
        }

        mutating func take() -> Int64 {
            if let reserved, position < reserved.count {
                defer { position += 1 }
                return reserved[position]
            }
            if reserved != nil { short += 1 }
            defer { next += 1 }
            return next
        }
    }
}
