public import CreditsCore

/// Where rates, call sessions, minute pools and usage records live. Each call request and each
/// batch of records is written in one transaction with the ledger changes it makes, judged by
/// `TenantCalls`, and with the auto-recharge judgement it calls for (`RechargePolicy`):
/// a pool minute or a unit of credit is never spent twice, and a repeat gets the first answer.
public protocol CallStore: CallControlStore {
    /// Adds rates to the currency's deck, a rate for the same prefix and date replacing the old
    /// one; all or nothing. Returns the whole deck.
    func saveRates(_ rates: [Rate], currency: Currency) async throws -> RateDeck
    /// Every currency's deck.
    func rateBook() async throws -> RateBook

    /// *start*. Throws `Refusal` for an unknown tenant, a session id already used, or a
    /// request number reused with other content.
    func startCall(
        _ request: CallStart,
        rates: RateBook,
        settings: CallDesk.Settings,
        for tenantId: TenantId,
        at now: Instant
    ) async throws
        -> CallOutcome
    /// *update* or *end* of an open session; a repeat of an earlier request gets its answer.
    func continueCall(
        _ sessionId: CallSessionId,
        requestNumber: Int64,
        step: CallStep,
        settings: CallDesk.Settings,
        for tenantId: TenantId,
        at now: Instant
    ) async throws -> CallOutcome
    /// Prices and charges up to `LedgerLimits.maximumBatchSize` records in one transaction;
    /// one result per record, in order.
    func recordUsage(
        _ uploads: [UsageUpload],
        rates: RateBook,
        settings: CallDesk.Settings,
        for tenantId: TenantId,
        at now: Instant
    ) async throws
        -> UsageBatchOutcome
    /// Charges every session whose platform went silent past its deadline; returns each tenant
    /// that had one, with the auto-recharge judgement made when the time-outs called for one.
    func expireSilentCalls(settings: CallDesk.Settings, at now: Instant) async throws -> [TenantId: RechargePolicy.Judgement?]
    /// The earliest deadline of an open session, when one falls by `instant`.
    func earliestSilentCallDeadline(by instant: Instant) async throws -> Instant?

    /// Records that started in `[from, to)`, by start time then usage id, after `after` when given.
    func usageRecords(for tenantId: TenantId, from: Instant, to: Instant, after: UsageCursor?, limit: Int) async throws -> [UsageRecord]
    /// What records paid by one of `capabilities` were charged, by the period (a UTC day or hour,
    /// `periodMilliseconds` long) they started in, within `[from, to)`; keyed by the period's start.
    func charges(
        for tenantId: TenantId,
        from: Instant,
        to: Instant,
        periodMilliseconds: Int64,
        paidBy capabilities: Set<Capability>
    ) async throws -> [Instant: Int64]
    /// The start time of the record that follows the first `skipping` in `[from, to)` by start time; nil past the end.
    func usageRecordStartTime(for tenantId: TenantId, from: Instant, to: Instant, skipping: Int) async throws -> Instant?
    /// How many starts were refused on each day of `[from, to]` (UTC), by reason.
    func refusedCalls(for tenantId: TenantId, from: CivilDate, to: CivilDate) async throws -> [RefusedCalls]
    /// How many records started in `[from, to)`.
    func usageRecordCount(for tenantId: TenantId, from: Instant, to: Instant) async throws -> Int
    /// Deletes each tenant's records that started before its `UsageRetention` horizon, a
    /// bounded batch per transaction; returns how many.
    func purgeExpiredUsage(at now: Instant) async throws -> Int
    func pools(for tenantId: TenantId, month: CalendarMonth) async throws -> [PoolBalance]
    func session(_ sessionId: CallSessionId, for tenantId: TenantId) async throws -> CallSession?

    /// Issues the invoice of every post-usage month that ended by `now` and has charges; once each.
    func issuePostUsageInvoices(at now: Instant) async throws -> [PostUsageInvoice]
    /// The tenants whose call state this store keeps in memory, for `/metrics`.
    var keptTenants: TenantCallsCache.Figures { get }
    func postUsageInvoices(for tenantId: TenantId) async throws -> [PostUsageInvoice]
}

/// Where a page of usage records ended.
public struct UsageCursor: Hashable, Sendable {
    public let startTime: Instant
    public let usageId: String

    public init(startTime: Instant, usageId: String) {
        self.startTime = startTime
        self.usageId = usageId
    }

    /// The cursor just after `record`.
    public init(after record: UsageRecord) {
        self.init(startTime: record.startTime, usageId: record.usageId)
    }

    /// Where the page after `page` starts; nil when `page` came back short of `limit`, the last.
    public static func next(after page: [UsageRecord], limit: Int) -> UsageCursor? {
        page.count == limit ? page.last.map(UsageCursor.init(after:)) : nil
    }

    /// As a page hands it out: `startMilliseconds:usageId`.
    public var token: String { "\(startTime.millisecondsSinceEpoch):\(usageId)" }

    /// Reads `token` back; nil for anything else.
    public init?(token: String) {
        let parts = token.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let start = Int64(parts[0]) else { return nil }
        self.init(startTime: Instant(millisecondsSinceEpoch: start), usageId: String(parts[1]))
    }
}

/// The charges a post-usage tenant accrued in one month, billed after it.
public struct PostUsageInvoice: Hashable, Sendable {
    public let id: Int64
    public let tenantId: TenantId
    public let month: CalendarMonth
    public let issuedAt: Instant
    public let amountMinor: Int64
    public let currency: Currency
    public let records: Int64

    public init(id: Int64, tenantId: TenantId, month: CalendarMonth, issuedAt: Instant, amountMinor: Int64, currency: Currency, records: Int64) {
        self.id = id
        self.tenantId = tenantId
        self.month = month
        self.issuedAt = issuedAt
        self.amountMinor = amountMinor
        self.currency = currency
        self.records = records
    }

    /// "PU-2026-000001", numbered like the other invoices.
    public var number: String { Invoice.number(prefix: "PU", year: month.year, id: id) }
}
