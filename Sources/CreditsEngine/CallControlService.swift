public import CreditsCore
public import CreditsStore

/// A tenant's call controls: reads them, changes them with a line in the audit trail naming who
/// changed what, and shows the trail.
public struct CallControlService: Sendable {
    let stores: Stores
    let clock: any CreditsClock

    public init(stores: Stores, clock: any CreditsClock) {
        self.stores = stores
        self.clock = clock
    }

    public func controls(of tenantId: TenantId) async throws -> CallControls {
        try await checkTenant(tenantId)
        return try await stores.calls.controls(of: tenantId)
    }

    /// The rules of the whole tenant, or (`user` given) that user's own, which apply as well;
    /// `nil` takes a user's own rules away.
    @discardableResult
    public func setDestinationRules(
        _ rules: DestinationRules?,
        of tenantId: TenantId,
        user: UserPrincipalName? = nil,
        by actor: String
    ) async throws -> CallControls {
        try await checkTenant(tenantId)
        if let user, try await stores.directory.user(user, in: tenantId) == nil { throw BillingError.unknownUser(user.rawValue) }
        let now = clock.now()
        return try await stores.calls.changeControls(of: tenantId) { controls in
            let subject: String
            let before: DestinationRules
            if let user {
                subject = "Destination rules of \(user)"
                before = controls.userDestinations[user] ?? .open
                try controls.setDestinations(rules, of: user)
            } else {
                subject = "Destination rules of the tenant"
                before = controls.destinations
                controls.destinations = rules ?? .open
            }
            let after = user.flatMap { controls.userDestinations[$0] } ?? (user == nil ? controls.destinations : .open)
            return ControlChange(tenantId: tenantId, at: now, actor: actor, subject: subject, before: before.description, after: after.description)
        }
    }

    /// The audit trail, newest first.
    public func changes(of tenantId: TenantId, before: Int64? = nil, limit: Int) async throws -> [NumberedControlChange] {
        try await checkTenant(tenantId)
        return try await stores.calls.controlChanges(of: tenantId, before: before, limit: limit)
    }

    private func checkTenant(_ tenantId: TenantId) async throws {
        guard try await stores.directory.tenant(tenantId) != nil else { throw BillingError.unknownTenant(tenantId) }
    }
}
