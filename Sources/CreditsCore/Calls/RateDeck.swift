/// The rates of one currency, indexed for longest-prefix lookup: a digit trie in flat arrays,
/// so that a lookup walks at most 15 nodes and allocates nothing.
///
/// A prefix may carry several rates with different `effectiveFrom` dates; a lookup takes the
/// latest that is in effect on the call's date, so a new rate never changes an older call.
public struct RateDeck: Sendable {
    public let currency: Currency
    /// Every rate, ordered by prefix then effective date.
    public let rates: [Rate]
    /// `children[node * 10 + digit]` is the child node, or 0 for none (the root is never a child).
    private var children: [Int32] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    /// Per node, the range of `rates` (and `effectiveDays`) that belong to its prefix.
    private var rateStart: [Int32] = [0]
    private var rateCount: [Int32] = [0]
    /// `effectiveFrom` of each rate, as days since 1970-01-01.
    private let effectiveDays: [Int64]

    /// Refuses two rates for one prefix and date: a deck means one price.
    public init(currency: Currency, rates: some Sequence<Rate>) throws(Refusal) {
        let sorted = rates.sorted { ($0.prefix, $0.effectiveFrom) < ($1.prefix, $1.effectiveFrom) }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where earlier.prefix == later.prefix && earlier.effectiveFrom == later.effectiveFrom {
            throw Refusal(
                .duplicateRate,
                detail: "Prefix \(later.prefix) has two rates taking effect on \(ISO8601.formatDate(later.effectiveFrom))."
            )
        }
        self.currency = currency
        self.rates = sorted
        effectiveDays = sorted.map(\.effectiveFrom.daysSinceEpoch)
        for (index, rate) in sorted.enumerated() {
            let node = insert(rate.prefix.digits)
            if rateCount[node] == 0 { rateStart[node] = Int32(index) }
            rateCount[node] += 1
        }
    }

    /// The rate of the longest prefix of `number` that has a rate in effect on `date`.
    public func rate(for number: PhoneNumber, on date: CivilDate) -> Rate? {
        rateIndex(for: number.digits, onDay: date.daysSinceEpoch).map { rates[$0] }
    }

    /// What the deck publishes on `date`: for each prefix, the rate in effect then and any that
    /// take effect later, but not those they replaced. Ordered by prefix, then date.
    public func published(on date: CivilDate) -> [Rate] {
        rates.indices.filter { index in
            let rate = rates[index]
            let next = index + 1 < rates.count && rates[index + 1].prefix == rate.prefix ? rates[index + 1] : nil
            return rate.effectiveFrom > date || next.map { $0.effectiveFrom > date } ?? true
        }.map { rates[$0] }
    }

    /// The index in `rates` of the matching rate; the inner loop of every call's rating.
    public func rateIndex(for digits: [UInt8], onDay day: Int64) -> Int? {
        var node = 0
        var best: Int?
        for digit in digits {
            let child = Int(children[node &* 10 &+ Int(digit)])
            if child == 0 { break }
            node = child
            let count = Int(rateCount[node])
            if count > 0 {
                // The latest effective date not after `day`; versions are few, so a backward scan.
                let start = Int(rateStart[node])
                var index = start + count - 1
                while index >= start, effectiveDays[index] > day { index -= 1 }
                if index >= start { best = index }
            }
        }
        return best
    }

    private mutating func insert(_ digits: [UInt8]) -> Int {
        var node = 0
        for digit in digits {
            let slot = node * 10 + Int(digit)
            if children[slot] == 0 {
                children[slot] = Int32(rateCount.count)
                children.append(contentsOf: repeatElement(0, count: 10))
                rateStart.append(0)
                rateCount.append(0)
            }
            node = Int(children[slot])
        }
        return node
    }
}

/// The decks of every currency, as one value a request can carry.
public struct RateBook: Sendable {
    private var decks: [String: RateDeck] = [:]

    public init(_ decks: [RateDeck] = []) {
        for deck in decks { self.decks[deck.currency.code] = deck }
    }

    public func deck(for currency: Currency) -> RateDeck? { decks[currency.code] }

    public mutating func replace(_ deck: RateDeck) { decks[deck.currency.code] = deck }
}
