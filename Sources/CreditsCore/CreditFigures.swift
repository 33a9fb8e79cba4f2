/// The figures an administrator reads, all derived the one way `DOMAIN.md` section 5 says:
/// balance = what remains in unexpired lots minus debt; available = balance minus holds.
public struct CreditFigures: Hashable, Sendable {
    public let freeMinor: Int64
    public let heldMinor: Int64
    public let debtMinor: Int64

    public init(freeMinor: Int64, heldMinor: Int64, debtMinor: Int64) {
        self.freeMinor = freeMinor
        self.heldMinor = heldMinor
        self.debtMinor = debtMinor
    }

    /// The figures of these lots at `now`: free funds of a lot that has expired count for
    /// nothing even before its forfeiture is booked.
    public init(lots: some Sequence<Lot>, debtMinor: Int64, at now: Instant) {
        var free: Int64 = 0
        var held: Int64 = 0
        for lot in lots {
            if !lot.isExpired(at: now) { free += lot.freeMinor }
            held += lot.heldMinor
        }
        self.init(freeMinor: free, heldMinor: held, debtMinor: debtMinor)
    }

    public var balanceMinor: Int64 { freeMinor + heldMinor - debtMinor }
    public var availableMinor: Int64 { freeMinor - debtMinor }
}

/// A tenant's credits as of an instant: every lot it ever had, in the order of use.
public struct CreditStatement: Sendable {
    public let tenantId: TenantId
    public let currency: Currency
    public let lots: [Lot]
    public let openHolds: [Hold]
    public let figures: CreditFigures
    public let asOf: Instant

    public init(tenantId: TenantId, currency: Currency, lots: [Lot], openHolds: [Hold], debtMinor: Int64, asOf: Instant) {
        self.tenantId = tenantId
        self.currency = currency
        self.lots = lots.sorted(by: Lot.consumedBefore)
        self.openHolds = openHolds
        self.figures = CreditFigures(lots: lots, debtMinor: debtMinor, at: asOf)
        self.asOf = asOf
    }
}
