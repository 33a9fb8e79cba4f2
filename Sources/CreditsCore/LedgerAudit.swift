/// Recomputes every lot, hold and debt from the journal alone and reports where the state a
/// store keeps differs from it, or where the journal breaks a rule of its own.
public struct LedgerAudit: Sendable {
    private struct LotTotals {
        var boughtMinor: Int64 = 0
        var refundedMinor: Int64 = 0
        var freeMinor: Int64 = 0
        var heldMinor: Int64 = 0
        var forfeitedMinor: Int64 = 0
    }

    private struct HoldKey: Hashable {
        let tenantId: TenantId
        let holdId: HoldId
    }

    private var lots: [LotId: LotTotals] = [:]
    private var openByHold: [HoldKey: Int64] = [:]
    private var owedByTenant: [TenantId: Int64] = [:]
    private var lotsCompared: Set<LotId> = []
    public private(set) var discrepancies: [String] = []
    public private(set) var transactionsChecked = 0
    public private(set) var accountsChecked = 0

    public init() {}

    /// Adds one journal transaction; its entries must sum to zero.
    public mutating func record(_ transactionId: TransactionId, of tenantId: TenantId, entries: [JournalEntry]) {
        transactionsChecked += 1
        let sum = entries.reduce(Int64(0)) { $0 + $1.amountMinor }
        if sum != 0 { discrepancies.append("transaction \(transactionId) does not balance: its entries sum to \(sum)") }
        for entry in entries {
            switch entry.account {
            case .funding:
                guard let lotId = lotId(of: entry, in: transactionId) else { continue }
                if entry.amountMinor < 0 {
                    lots[lotId, default: .init()].boughtMinor -= entry.amountMinor
                } else {
                    lots[lotId, default: .init()].refundedMinor += entry.amountMinor
                }
            case .lotFree:
                guard let lotId = lotId(of: entry, in: transactionId) else { continue }
                lots[lotId, default: .init()].freeMinor += entry.amountMinor
            case .lotHeld:
                guard let lotId = lotId(of: entry, in: transactionId) else { continue }
                lots[lotId, default: .init()].heldMinor += entry.amountMinor
                if let holdId = entry.holdId {
                    openByHold[HoldKey(tenantId: tenantId, holdId: holdId), default: 0] += entry.amountMinor
                } else {
                    discrepancies.append("transaction \(transactionId) holds funds without naming the hold")
                }
            case .forfeiture:
                guard let lotId = lotId(of: entry, in: transactionId) else { continue }
                lots[lotId, default: .init()].forfeitedMinor += entry.amountMinor
            case .debt:
                owedByTenant[tenantId, default: 0] -= entry.amountMinor
            case .consumption:
                break
            }
        }
    }

    private mutating func lotId(of entry: JournalEntry, in transactionId: TransactionId) -> LotId? {
        if entry.lotId == nil {
            discrepancies.append("transaction \(transactionId) has a \(entry.account.rawValue) entry without a lot")
        }
        return entry.lotId
    }

    /// Compares a lot as the store keeps it with the journal's account of it.
    public mutating func compare(_ lot: Lot) {
        lotsCompared.insert(lot.id)
        let totals = lots[lot.id] ?? LotTotals()
        let expected: [(String, Int64, Int64)] = [
            ("amount", lot.amountMinor, totals.boughtMinor), ("free", lot.freeMinor, totals.freeMinor),
            ("held", lot.heldMinor, totals.heldMinor), ("forfeited", lot.forfeitedMinor, totals.forfeitedMinor),
            ("refunded", lot.refundedMinor, totals.refundedMinor),
        ]
        for (name, kept, journal) in expected where kept != journal {
            discrepancies.append("lot \(lot.id): \(name) is \(kept) but the journal says \(journal)")
        }
        if lot.consumedMinor < 0 || lot.freeMinor < 0 || lot.heldMinor < 0 {
            discrepancies.append("lot \(lot.id) is below zero")
        }
    }

    /// Compares an account's debt, its open holds and its lots' free funds with the journal.
    public mutating func compare(tenantId: TenantId, debtMinor: Int64, openHolds: [Hold], lots: [Lot]) {
        accountsChecked += 1
        let owed = owedByTenant[tenantId] ?? 0
        if owed != debtMinor { discrepancies.append("tenant \(tenantId): debt is \(debtMinor) but the journal says \(owed)") }
        if debtMinor > 0, let lot = lots.first(where: { $0.freeMinor > 0 }) {
            discrepancies.append("tenant \(tenantId) owes \(debtMinor) while lot \(lot.id) has free funds")
        }
        let keptOpen = Dictionary(uniqueKeysWithValues: openHolds.map { ($0.id, $0) })
        for (key, amount) in openByHold where key.tenantId == tenantId && amount != (keptOpen[key.holdId]?.openMinor ?? 0) {
            discrepancies.append(
                "hold \(key.holdId) of tenant \(tenantId): open is \(keptOpen[key.holdId]?.openMinor ?? 0) but the journal says \(amount)"
            )
        }
        for hold in openHolds where openByHold[HoldKey(tenantId: tenantId, holdId: hold.id)] == nil && hold.openMinor != 0 {
            discrepancies.append("hold \(hold.id) of tenant \(tenantId) is open for \(hold.openMinor) but the journal holds nothing for it")
        }
        for hold in openHolds where hold.allocations.reduce(0, { $0 + $1.amountMinor }) != hold.openMinor {
            discrepancies.append("hold \(hold.id) of tenant \(tenantId): its allocations do not sum to its open amount")
        }
    }

    /// The outcome, once every lot and account has been compared.
    public func finish() -> LedgerVerification {
        var found = discrepancies
        for lotId in lots.keys.sorted() where !lotsCompared.contains(lotId) {
            found.append("lot \(lotId) is in the journal but not in the store")
        }
        return LedgerVerification(
            transactionsChecked: transactionsChecked,
            lotsChecked: lotsCompared.count,
            accountsChecked: accountsChecked,
            discrepancies: found
        )
    }
}

public struct LedgerVerification: Hashable, Sendable, CustomStringConvertible {
    public let transactionsChecked: Int
    public let lotsChecked: Int
    public let accountsChecked: Int
    public let discrepancies: [String]

    public var isConsistent: Bool { discrepancies.isEmpty }

    public var description: String {
        let counts = "\(transactionsChecked) transactions, \(lotsChecked) lots, \(accountsChecked) accounts"
        if isConsistent { return "The ledger is consistent: \(counts) checked." }
        return (["The ledger has \(discrepancies.count) discrepancies (\(counts) checked):"] + discrepancies.map { "- " + $0 })
            .joined(separator: "\n")
    }
}
