/// Funds reserved for a call in progress: pending until it is posted (all or part, the rest
/// released), voided (all released) or timed out (posted in full).
public struct Hold: Hashable, Sendable {
    public enum State: String, Sendable, CaseIterable {
        case open
        case posted
        case voided
        case timedOut
    }

    /// The part of a hold taken from one lot.
    public struct Allocation: Hashable, Sendable {
        public let lotId: LotId
        public internal(set) var amountMinor: Int64

        public init(lotId: LotId, amountMinor: Int64) {
            self.lotId = lotId
            self.amountMinor = amountMinor
        }
    }

    public let id: HoldId
    public internal(set) var state: State
    /// Everything ever reserved on this hold (its extensions included).
    public internal(set) var reservedMinor: Int64
    /// Still reserved: the sum of the allocations; zero once the hold is settled.
    public internal(set) var openMinor: Int64
    /// What the settlement consumed (less what a credit-back returned), which can exceed what
    /// was reserved.
    public internal(set) var postedMinor: Int64
    /// While open: what each lot holds, in the order the lots were drawn (the order of use).
    /// Once settled: what each lot gave to the settlement, less what a credit-back returned.
    public internal(set) var allocations: [Allocation]
    public let createdAt: Instant
    public internal(set) var expiresAt: Instant
    public internal(set) var settledAt: Instant?

    public init(
        id: HoldId,
        state: State,
        reservedMinor: Int64,
        openMinor: Int64,
        postedMinor: Int64,
        allocations: [Allocation],
        createdAt: Instant,
        expiresAt: Instant,
        settledAt: Instant?
    ) {
        self.id = id
        self.state = state
        self.reservedMinor = reservedMinor
        self.openMinor = openMinor
        self.postedMinor = postedMinor
        self.allocations = allocations
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.settledAt = settledAt
    }
}
