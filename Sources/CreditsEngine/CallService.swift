public import CreditsCore
public import CreditsStore
import Synchronization

/// Rating and charging calls for the telephony platform (`DOMAIN.md` sections 6 to 8), and
/// the rate decks they are priced from. Auto-recharge is judged in the transaction of every
/// charge that calls for it.
public final class CallService: Sendable {
    let stores: Stores
    let billing: BillingService
    let clock: any CreditsClock
    public let settings: CallDesk.Settings
    public let admission: CallAdmission
    /// The decks in memory, read from the store once and replaced on every import.
    private let book = Mutex<RateBook?>(nil)

    public init(
        stores: Stores,
        billing: BillingService,
        clock: any CreditsClock,
        settings: CallDesk.Settings = CallDesk.Settings(),
        admission: CallAdmission = CallAdmission()
    ) {
        self.stores = stores
        self.billing = billing
        self.clock = clock
        self.settings = settings
        self.admission = admission
    }

    /// What the tenant may spend now (free funds less debt): a platform on a final grant asks
    /// again once this grows.
    public func availableMinor(for tenantId: TenantId) async throws -> Int64 {
        try await stores.ledger.statement(for: tenantId, at: clock.now()).figures.availableMinor
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
        let rates = try await rateBook()
        return try await admission.admit(tenantId, step: "start") {
            try await stores.calls.startCall(request, rates: rates, settings: settings, for: tenantId, at: clock.now()).answer
        }
    }

    /// A start in `tenantId`, named by the path. When it names no user (or no caller number),
    /// the directory of that tenant resolves its own party (`CallStartRequest.resolved`).
    public func start(_ request: CallStartRequest, for tenantId: TenantId) async throws -> CallAnswer {
        guard request.needsDirectory else { return try await start(request.resolved(by: nil, holderNumber: nil), for: tenantId) }
        let assignment = try await stores.directory.assignment(of: request.ownParty).flatMap { $0.tenantId == tenantId ? $0 : nil }
        return try await start(request.resolved(by: assignment, holderNumber: holderNumber(request, assignment)), for: tenantId)
    }

    /// A start whose tenant the directory finds: the one holding the call's own party (a
    /// platform serving many tenants). A number of a tenant `caller` does not reach is
    /// `unknownNumber`, as if nobody held it.
    public func start(_ request: CallStartRequest, by caller: Principal) async throws -> (tenantId: TenantId, answer: CallAnswer) {
        guard let assignment = try await stores.directory.assignment(of: request.ownParty), caller.sees(assignment.tenantId) else {
            throw Refusal.unknownNumber(request.ownParty)
        }
        try caller.authorize(.chargeCalls, in: assignment.tenantId)
        let start = try request.resolved(by: assignment, holderNumber: try await holderNumber(request, assignment))
        return (assignment.tenantId, try await self.start(start, for: assignment.tenantId))
    }

    /// The phone number of the holder of `assignment`, when the start gave no caller number.
    private func holderNumber(_ request: CallStartRequest, _ assignment: NumberAssignment?) async throws -> PhoneNumber? {
        guard request.callerNumber == nil, let assignment else { return nil }
        if let number = assignment.identity.phoneNumber { return number }
        // Numbers ('+') come before SIP addresses ('sip:') in identity order.
        let first = try await stores.directory.assignments(in: assignment.tenantId, holder: assignment.holder, after: nil, limit: 1)
        return first.first?.identity.phoneNumber
    }

    /// *answer* or *cancel*: steps that charge nothing.
    public func step(_ sessionId: CallSessionId, requestNumber: Int64, _ step: CallStep, for tenantId: TenantId) async throws -> CallAnswer {
        precondition(step == .answer || step == .cancel, "update and end have their own entry points")
        return try await admission.admit(tenantId, step: step.fingerprint) {
            try await stores.calls.continueCall(
                sessionId,
                requestNumber: requestNumber,
                step: step,
                settings: settings,
                for: tenantId,
                at: clock.now()
            ).answer
        }
    }

    public func update(_ sessionId: CallSessionId, requestNumber: Int64, usedSeconds: Int64, for tenantId: TenantId) async throws -> CallAnswer {
        _ = try CallLimits.checkedSeconds(usedSeconds, field: .invalidUsedSeconds)
        return try await admission.admit(tenantId, step: "update") {
            try await stores.calls.continueCall(
                sessionId,
                requestNumber: requestNumber,
                step: .update(usedSeconds: usedSeconds),
                settings: settings,
                for: tenantId,
                at: clock.now()
            ).answer
        }
    }

    public func end(
        _ sessionId: CallSessionId,
        requestNumber: Int64,
        durationSeconds: Int64,
        endTime: Instant,
        for tenantId: TenantId
    ) async throws -> CallAnswer {
        _ = try CallLimits.checkedSeconds(durationSeconds, field: .invalidDurationSeconds)
        let outcome = try await admission.admit(tenantId, step: "end") {
            try await stores.calls.continueCall(
                sessionId,
                requestNumber: requestNumber,
                step: .end(durationSeconds: durationSeconds, endTime: endTime),
                settings: settings,
                for: tenantId,
                at: clock.now()
            )
        }
        if outcome.chargedCredits, let currency = outcome.currency, let charge = outcome.answer.chargeMinor {
            EngineMetrics.charged(charge, currency, source: .realTime)
        }
        follow(outcome.recharge, of: tenantId)
        return outcome.answer
    }

    // MARK: After the fact

    /// One result per upload, in order. A record whose counts are out of bounds is refused
    /// alone; the others are charged.
    public func record(_ uploads: [UsageUpload], for tenantId: TenantId) async throws -> [UsageResult] {
        try LedgerLimits.checkBatchSize(uploads.count)
        var results: [UsageResult?] = uploads.map { upload in
            let checked = Result { () throws(Refusal) in
                _ = try CallLimits.checkedSeconds(upload.durationSeconds, field: .invalidDurationSeconds)
                _ = try CallLimits.checkedMessageUnits(upload.messageUnits)
            }
            if case let .failure(error) = checked { return .refused(error) }
            return nil
        }
        let accepted = uploads.indices.filter { results[$0] == nil }
        guard !accepted.isEmpty else { return results.map { $0! } }
        let rates = try await rateBook()
        let outcome = try await admission.admit(tenantId, step: "usage") {
            try await stores.calls.recordUsage(accepted.map { uploads[$0] }, rates: rates, settings: settings, for: tenantId, at: clock.now())
        }
        for (index, result) in zip(accepted, outcome.results) { results[index] = result }
        for case let .charged(record) in outcome.results { EngineMetrics.charged(record.chargeMinor, record.currency, source: record.source) }
        follow(outcome.recharge, of: tenantId)
        return results.map { $0! }
    }

    /// Charges the sessions whose platform went silent; returns how many tenants had one.
    public func expireSilentCalls() async throws -> Int {
        let judgements = try await stores.calls.expireSilentCalls(settings: settings, at: clock.now())
        for (tenantId, judgement) in judgements { follow(judgement, of: tenantId) }
        return judgements.count
    }

    /// The store judged auto-recharge in the transaction of the charge that called for it; what
    /// is left is to run a recharge it started.
    private func follow(_ judgement: RechargePolicy.Judgement?, of tenantId: TenantId) {
        if let judgement { billing.follow(judgement, of: tenantId) }
    }
}
