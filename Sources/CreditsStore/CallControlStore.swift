public import CreditsCore

/// Where a tenant's call controls live, with the audit trail of their changes. The calls judged
/// after a change see it: a change counts in the tenant's version (`TenantCallsCache`).
public protocol CallControlStore: Sendable {
    /// `CallControls.none` for a tenant that never set any.
    func controls(of tenantId: TenantId) async throws -> CallControls
    /// Reads the controls, lets `change` edit them, writes them and the audit lines it returns,
    /// in one transaction; nothing is written when `change` throws or changes nothing. A user
    /// given a limit starts the month of `now` from what the month's credit-paid records of the
    /// user were charged; the velocity alarm's hour starts afresh when it is turned on or its
    /// suspension is resumed (`VelocityAlarm.restartsHour`).
    func changeControls(
        of tenantId: TenantId,
        at now: Instant,
        _ change: @Sendable (inout CallControls) throws -> [ControlChange]
    ) async throws -> CallControls
    /// The credit spend of `month` of every user whose calls counted it (those with a limit) or
    /// whose open calls hold credits, by sign-in name.
    func userSpends(of tenantId: TenantId, month: CalendarMonth) async throws -> [MonthlySpend]
    /// The credit spend of `month` of every administrative unit whose calls counted it (those
    /// with a limit) or whose users' open calls hold credits, by name.
    func unitSpends(of tenantId: TenantId, month: CalendarMonth) async throws -> [MonthlySpend]
    /// What credit-paid calls were charged in each minute of the sliding hour that ends at
    /// `now`, as the velocity alarm counted it (counted only while it is on).
    func recentSpend(of tenantId: TenantId, at now: Instant) async throws -> SpendMinutes
    /// The controls of every tenant that set any.
    func everyTenantsControls() async throws -> [TenantId: CallControls]
    /// The tenant's changes, newest first, before `before` (a change's number) when given.
    func controlChanges(of tenantId: TenantId, before: Int64?, limit: Int) async throws -> [NumberedControlChange]
}

/// A change with its number in the audit trail.
public struct NumberedControlChange: Hashable, Sendable {
    public let id: Int64
    public let change: ControlChange

    public init(id: Int64, change: ControlChange) {
        self.id = id
        self.change = change
    }
}
