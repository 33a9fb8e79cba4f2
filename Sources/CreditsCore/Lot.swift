/// Funds from one purchase or recharge, spent first in, first out and forfeited when they
/// expire.
public struct Lot: Hashable, Sendable {
    public enum Source: String, Sendable, CaseIterable {
        case purchase
        case recharge
    }

    public let id: LotId
    public let source: Source
    public let amountMinor: Int64
    /// What can still be spent: not consumed, not held, not forfeited, not refunded.
    public internal(set) var freeMinor: Int64
    /// What calls in progress have reserved from this lot.
    public internal(set) var heldMinor: Int64
    public internal(set) var forfeitedMinor: Int64
    public internal(set) var refundedMinor: Int64
    public let purchasedAt: Instant
    public let expiresAt: Instant

    /// How long funds last: 12 calendar months from the purchase.
    public static let lifetimeMonths = 12

    public init(
        id: LotId,
        source: Source,
        amountMinor: Int64,
        freeMinor: Int64,
        heldMinor: Int64,
        forfeitedMinor: Int64,
        refundedMinor: Int64,
        purchasedAt: Instant,
        expiresAt: Instant
    ) {
        self.id = id
        self.source = source
        self.amountMinor = amountMinor
        self.freeMinor = freeMinor
        self.heldMinor = heldMinor
        self.forfeitedMinor = forfeitedMinor
        self.refundedMinor = refundedMinor
        self.purchasedAt = purchasedAt
        self.expiresAt = expiresAt
    }

    /// A new lot bought at `purchasedAt`, expiring `lifetimeMonths` later.
    static func bought(id: LotId, source: Source, amountMinor: Int64, at purchasedAt: Instant) -> Lot {
        Lot(
            id: id,
            source: source,
            amountMinor: amountMinor,
            freeMinor: amountMinor,
            heldMinor: 0,
            forfeitedMinor: 0,
            refundedMinor: 0,
            purchasedAt: purchasedAt,
            expiresAt: purchasedAt.adding(months: lifetimeMonths)
        )
    }

    /// What has been spent from this lot.
    public var consumedMinor: Int64 { amountMinor - freeMinor - heldMinor - forfeitedMinor - refundedMinor }

    /// What is left of the lot, the part calls in progress hold included, on every lot: on an
    /// expired one the free part was forfeited, so only what a call still holds is left (and is
    /// forfeited in its turn when the call releases it).
    public var remainingMinor: Int64 { freeMinor + heldMinor }

    public func isExpired(at now: Instant) -> Bool { expiresAt <= now }

    /// Still matters to the ledger: it has money that is free or held.
    public var isLive: Bool { freeMinor > 0 || heldMinor > 0 }

    /// The one total order in which lots are used: earliest expiry, then earliest purchase,
    /// then lot id.
    public static func consumedBefore(_ lhs: Lot, _ rhs: Lot) -> Bool {
        (lhs.expiresAt, lhs.purchasedAt, lhs.id) < (rhs.expiresAt, rhs.purchasedAt, rhs.id)
    }
}
