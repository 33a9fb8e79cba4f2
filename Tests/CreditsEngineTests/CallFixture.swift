import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Testing

/// A `Billing` tenant with the call service over the same SQLite file, a small US-dollar deck,
/// and helpers to place calls as the platform would.
struct Calls {
    static let rates = """
        prefix,destination,numberType,rateMicrosPerMinute,connectionFeeMicros,firstIncrementSeconds,nextIncrementSeconds,effectiveFrom
        1,United States - Fixed,fixed,10000,0,60,60,2026-01-01
        1800,United States - Toll-free,tollFree,30000,0,60,60,2026-01-01
        44,United Kingdom - Fixed,fixed,20000,0,60,60,2026-01-01
        447,United Kingdom - Mobile,mobile,50000,0,60,60,2026-01-01
        49,Germany - Fixed,fixed,20000,0,1,1,2026-01-01
        449,United Kingdom - Premium,premium,1500000,100000,60,60,2026-01-01
        """

    let billing: Billing
    let service: CallService
    var tenant: TenantId { billing.tenant }
    var clock: ManualClock { billing.clock }

    init(commerceModel: CommerceModel = .classic, quotaSeconds: Int64 = 600) async throws {
        billing = try await Billing(commerceModel: commerceModel)
        service = CallService(
            stores: billing.stores,
            billing: billing.service,
            clock: billing.clock,
            settings: CallDesk.Settings(quotaSeconds: quotaSeconds)
        )
        _ = try await service.importRates(Array(Self.rates.utf8), currency: .usd)
    }

    private init(billing: Billing) {
        self.billing = billing
        service = CallService(stores: billing.stores, billing: billing.service, clock: billing.clock)
    }

    /// Calls over an existing tenant and deck (a restarted `Billing`, another writer of the same database).
    static func over(_ billing: Billing) -> Calls { Calls(billing: billing) }

    /// Adds a user signing in as `name@fabrikam.com`.
    @discardableResult
    func user(_ name: String, in location: String = "US", _ licenses: Set<LicenseSku>) async throws -> UserPrincipalName {
        let upn = try UserPrincipalName("\(name)@fabrikam.com")
        try await billing.directoryService.addUser(User(upn: upn, displayName: name.capitalized, usageLocation: CountryCode(location)!), to: tenant)
        if !licenses.isEmpty { _ = try await billing.directoryService.changeLicenses(of: upn, in: tenant, LicenseChange(add: licenses)) }
        return upn
    }

    func start(
        _ session: String,
        _ type: CallType = .userOut,
        by user: String?,
        to callee: String,
        number: Int64 = 1,
        from caller: String = "+12065550111",
        at startTime: Instant? = nil
    ) async throws -> CallAnswer {
        try await service.start(
            CallStart(
                sessionId: CallSessionId(session),
                requestNumber: number,
                callType: type,
                upn: user.map { try UserPrincipalName("\($0)@fabrikam.com") },
                caller: PhoneNumber(caller),
                callee: PhoneNumber(callee),
                startTime: startTime ?? clock.now()
            ),
            for: tenant
        )
    }

    func update(_ session: String, number: Int64, used: Int64) async throws -> CallAnswer {
        try await service.update(CallSessionId(session), requestNumber: number, usedSeconds: used, for: tenant)
    }

    /// Ends the call, dated now, once the clock moved on by `elapsed` (by default the duration,
    /// as it would for the platform; 0 to repeat an end).
    func end(_ session: String, number: Int64, duration: Int64, elapsed: Int64? = nil) async throws -> CallAnswer {
        clock.advance(seconds: elapsed ?? duration)
        return try await service.end(CallSessionId(session), requestNumber: number, durationSeconds: duration, endTime: clock.now(), for: tenant)
    }

    /// A call the platform keeps going past its grants: it asks for more every `quota` seconds,
    /// as the grant runs out, then ends after `duration` seconds in all.
    func endLongCall(_ session: String, duration: Int64, quota: Int64 = 600) async throws -> CallAnswer {
        var number: Int64 = 2
        var used: Int64 = 0
        while duration - used > quota {
            clock.advance(seconds: quota)
            used += quota
            let more = try await update(session, number: number, used: used)
            precondition(more.allowed, "the long call was granted more")
            number += 1
        }
        return try await end(session, number: number, duration: duration, elapsed: duration - used)
    }

    func upload(
        _ id: String,
        _ type: CallType = .userOut,
        by user: String?,
        to callee: String,
        duration: Int64,
        from caller: String = "+12065550111",
        at startTime: Instant? = nil,
        units: Int64 = 0,
        administrativeUnits: String? = nil
    ) throws -> UsageUpload {
        UsageUpload(
            usageId: try CallSessionId(id),
            callId: nil,
            conferenceId: nil,
            callType: type,
            upn: try user.map { try UserPrincipalName("\($0)@fabrikam.com") },
            caller: try PhoneNumber(caller),
            callee: try PhoneNumber(callee),
            startTime: startTime ?? clock.now(),
            durationSeconds: duration,
            messageUnits: units,
            userObjectId: nil,
            administrativeUnits: administrativeUnits
        )
    }

    func records() async throws -> [UsageRecord] {
        try await billing.stores.calls.usageRecords(
            for: tenant,
            from: Instant(millisecondsSinceEpoch: 0),
            to: clock.now().adding(days: 400),
            after: nil,
            limit: 100_000
        )
    }

    func pool(_ key: String, month: Instant? = nil) async throws -> PoolBalance? {
        try await billing.stores.calls.pools(for: tenant, month: CalendarMonth(of: month ?? clock.now())).first { $0.key.description == key }
    }

    /// Money is conserved: what was bought is what the records (and `otherChargesMinor`) charged
    /// plus what is left.
    func expectConserved(otherChargesMinor: Int64 = 0, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let statement = try await billing.stores.ledger.statement(for: tenant, at: clock.now())
        let bought = statement.lots.reduce(0) { $0 + $1.amountMinor }
        let forfeited = statement.lots.reduce(0) { $0 + $1.forfeitedMinor }
        let charged = try await records().filter(\.capability.isCredits).reduce(otherChargesMinor) { $0 + $1.chargeMinor }
        #expect(
            bought - forfeited - charged == statement.figures.balanceMinor,
            "bought = charged + forfeited + balance",
            sourceLocation: sourceLocation
        )
        #expect(try await billing.stores.ledger.verify().isConsistent, sourceLocation: sourceLocation)
    }
}
