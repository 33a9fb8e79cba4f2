public import CreditsCore
public import CreditsStore
import Synchronization

/// Rating and charging calls for the telephony platform (`DOMAIN.md` sections 6 to 8), and
/// the rate decks they are priced from. Auto-recharge is judged after every charge.
public final class CallService: Sendable {
    let stores: Stores
    let billing: BillingService
    let clock: any CreditsClock
    public let settings: CallDesk.Settings
    /// The decks in memory, read from the store once and replaced on every import.
    private let book = Mutex<RateBook?>(nil)

    public init(stores: Stores, billing: BillingService, clock: any CreditsClock, settings: CallDesk.Settings = CallDesk.Settings()) {
        self.stores = stores
        self.billing = billing
        self.clock = clock
        self.settings = settings
    }

    // MARK: Rates

    /// Adds the rates of a CSV file to the currency's deck, all or none; returns the rows read.
    /// Throws `RefusedLines` naming every bad line.
    public func importRates(_ csv: some Sequence<UInt8>, currency: Currency) async throws -> Int {
        let rates = try RateDeckFile.rates(csv).get()
        let deck = try await stores.calls.saveRates(rates, currency: currency)
        var current = try await rateBook()
        current.replace(deck)
        book.withLock { [current] in $0 = current }
        return rates.count
    }

    public func rateBook() async throws -> RateBook {
        if let cached = book.withLock({ $0 }) { return cached }
        let loaded = try await stores.calls.rateBook()
        book.withLock { $0 = $0 ?? loaded }
        return loaded
    }

    /// The rate a call to `number` would be priced at on `date`.
    public func rate(for number: PhoneNumber, currency: Currency, on date: CivilDate) async throws -> Rate? {
        try await rateBook().deck(for: currency)?.rate(for: number, on: date)
    }

    // MARK: Real time

    public func start(_ request: CallStart, for tenantId: TenantId) async throws -> CallAnswer {
        try await stores.calls.startCall(request, rates: rateBook(), settings: settings, for: tenantId, at: clock.now()).answer
    }

    public func update(_ sessionId: CallSessionId, requestNumber: Int64, usedSeconds: Int64, for tenantId: TenantId) async throws -> CallAnswer {
        guard usedSeconds >= 0 else { throw BillingError.invalid("usedSeconds", "usedSeconds is 0 or more.") }
        return try await stores.calls.continueCall(sessionId, requestNumber: requestNumber, step: .update(usedSeconds: usedSeconds),
                                                   settings: settings, for: tenantId, at: clock.now()).answer
    }

    public func end(_ sessionId: CallSessionId, requestNumber: Int64, durationSeconds: Int64, endTime: Instant, for tenantId: TenantId) async throws -> CallAnswer {
        guard (0...Self.maximumDurationSeconds).contains(durationSeconds) else {
            throw BillingError.invalid("durationSeconds", "durationSeconds is 0 to \(Self.maximumDurationSeconds).")
        }
        let outcome = try await stores.calls.continueCall(sessionId, requestNumber: requestNumber,
                                                          step: .end(durationSeconds: durationSeconds, endTime: endTime),
                                                          settings: settings, for: tenantId, at: clock.now())
        if outcome.balanceMinor != nil, let currency = outcome.currency, let charge = outcome.answer.chargeMinor {
            EngineMetrics.charged(charge, currency, source: .realTime)
        }
        try await judgeRecharge(tenantId, outcome.balanceMinor)
        return outcome.answer
    }

    /// A call lasts at most a week; anything longer is a platform's mistake.
    public static let maximumDurationSeconds: Int64 = 7 * 86_400

    // MARK: After the fact

    public func record(_ uploads: [UsageUpload], for tenantId: TenantId) async throws -> [UsageResult] {
        for upload in uploads where !(0...Self.maximumDurationSeconds).contains(upload.durationSeconds) || upload.messageUnits < 0 {
            throw BillingError.invalid("durationSeconds", "Record \(upload.usageId): durationSeconds is 0 to \(Self.maximumDurationSeconds), messageUnits 0 or more.")
        }
        let outcome = try await stores.calls.recordUsage(uploads, rates: rateBook(), settings: settings, for: tenantId, at: clock.now())
        for case let .charged(record) in outcome.results { EngineMetrics.charged(record.chargeMinor, record.currency, source: record.source) }
        try await judgeRecharge(tenantId, outcome.balanceMinor)
        return outcome.results
    }

    /// Charges the sessions whose platform went silent; returns how many tenants had one.
    public func expireSilentCalls() async throws -> Int {
        let balances = try await stores.calls.expireSilentCalls(settings: settings, at: clock.now())
        for (tenantId, balance) in balances { try await judgeRecharge(tenantId, balance) }
        return balances.count
    }

    private func judgeRecharge(_ tenantId: TenantId, _ balanceMinor: Int64?) async throws {
        guard let balanceMinor else { return }
        try await billing.considerRecharge(of: tenantId, balanceMinor: balanceMinor)
    }
}
