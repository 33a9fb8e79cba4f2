/// What is known of a call when it is to be priced.
public struct CallFacts: Hashable, Sendable {
    public let callType: CallType
    /// The user making or taking the call; a conference's organizer. Nil for auto attendants,
    /// call queues and unassigned numbers.
    public let user: User?
    public let caller: PhoneNumber
    public let callee: PhoneNumber
    /// The rate of the callee's number on the call's date; nil when the deck has none.
    public let rate: Rate?
    /// Where the call counts as domestic when there is no user: the tenant's country.
    public let tenantCountry: CountryCode

    public init(callType: CallType, user: User?, caller: PhoneNumber, callee: PhoneNumber, rate: Rate?, tenantCountry: CountryCode) {
        self.callType = callType
        self.user = user
        self.caller = caller
        self.callee = callee
        self.rate = rate
        self.tenantCountry = tenantCountry
    }

    public var externalNumber: PhoneNumber { callType.externalNumber(caller: caller, callee: callee) }
    public var externalCountry: CountryCode? { NumberingPlan.country(of: externalNumber) }
    /// The country the call is judged from: the user's usage location, else the tenant's.
    public var homeCountry: CountryCode { user?.usageLocation ?? tenantCountry }
    public var isDomestic: Bool { externalCountry == homeCountry }
}

/// Who may pay for a call, in the order of `DOMAIN.md` section 7: pools first, in order; the
/// first with time left pays. Otherwise the fallback.
public struct CallRoute: Hashable, Sendable {
    public enum Fallback: Hashable, Sendable {
        /// Allowed and never charged.
        case free(Capability)
        /// The credit balance (or post-usage for NCE/MCA tenants); `licenseRequired` when the
        /// user must hold the Communications Credits license.
        case credits(Capability, licenseRequired: Bool)
        case refused(CallRefusal)
    }

    public let pools: [PoolDraw]
    public let fallback: Fallback

    public init(pools: [PoolDraw] = [], _ fallback: Fallback) {
        self.pools = pools
        self.fallback = fallback
    }

    /// The payers of a call, before looking at pools and balance.
    public static func of(_ call: CallFacts) -> CallRoute {
        let user = call.user
        let licenses = user?.licenses ?? []
        let type = call.callType
        if call.callType.needsUser, user == nil { return CallRoute(.refused(.unknownUser)) }
        let payPerMinuteConferencing = licenses.contains(.audioConferencingPayPerMinute)
        let tollFree = call.rate?.numberType == .tollFree

        let route: CallRoute
        switch type {
        case .emergencyIn, .emergencyOut:
            route = CallRoute(.free(.emergency))
        case .smsIn:
            route = CallRoute(.free(.incoming))
        case .conferenceIn where payPerMinuteConferencing:
            route = CallRoute(.credits(.payPerMinuteConferencing, licenseRequired: false))
        case .userIn, .conferenceIn, .unassignedIn, .resourceAccountIn:
            // Toll-free calls into the tenant's numbers are billed per minute to the tenant.
            route = CallRoute(tollFree ? .credits(.communicationsCredits, licenseRequired: false) : .free(.incoming))
        case .conferenceOut where payPerMinuteConferencing:
            route = CallRoute(.credits(.payPerMinuteConferencing, licenseRequired: false))
        case .conferenceOut:
            let hasConferencing = licenses.contains(.audioConferencing) || licenses.contains(.enterpriseE5)
            let inZoneA = call.externalCountry.map(NumberingPlan.zoneA.contains) ?? false
            route = CallRoute(
                pools: hasConferencing && inZoneA ? [PoolDraw(key: .conferencing)] : [],
                .credits(.communicationsCredits, licenseRequired: true)
            )
        case .resourceAccountOut, .resourceAccountOutConference:
            route = CallRoute(.credits(.communicationsCredits, licenseRequired: false))
        case .smsOut:
            route = CallRoute(.credits(.communicationsCredits, licenseRequired: true))
        case .userOut, .userOutConference, .userOutTransfer, .userOutForwarding:
            route = userOutgoing(call, licenses: licenses)
        }
        if case .free = route.fallback { return route }
        // Anything that may be charged, or that draws on a pool, needs a price and its increments.
        return call.rate == nil ? CallRoute(.refused(.unknownDestination)) : route
    }

    /// A user's own outgoing call: the calling plan's pool for a domestic call (or MCOPSTN2's
    /// units for an international one), then credits; every minute of Pay-As-You-Go on credits.
    private static func userOutgoing(_ call: CallFacts, licenses: Set<LicenseSku>) -> CallRoute {
        let country = call.homeCountry
        let plans: [Capability] = [.domesticAndInternationalCallingPlan, .domesticCallingPlan, .domesticCallingPlan240, .domesticCallingPlan120]
            .filter { licenses.contains(LicenseSku(rawValue: $0.rawValue)!) }
        guard !plans.isEmpty || licenses.contains(.payAsYouGoCallingPlan) else { return CallRoute(.refused(.noCallingPlan)) }
        let pools: [PoolDraw] =
            call.isDomestic
            ? plans.map { PoolDraw(key: PoolKey(capability: $0, country: country)) }
            : plans.filter { $0 == .domesticAndInternationalCallingPlan }
                .map { PoolDraw(key: PoolKey(capability: $0, country: country), unitsPerSecond: 5) }
        return CallRoute(pools: pools, .credits(.communicationsCredits, licenseRequired: true))
    }
}
