/// One call or message as the usage report shows it (`DOMAIN.md` section 10), charged exactly
/// once by its usage id.
public struct UsageRecord: Hashable, Sendable {
    /// How the duration came to be known.
    public enum Source: String, Hashable, Sendable, CaseIterable {
        /// Reported by the platform at the end of a real-time session.
        case realTime
        /// The platform went silent: charged for the time granted.
        case timeout
        /// Uploaded after the fact.
        case upload
        /// A late end replaced the time-out's charge with the call's real duration.
        case lateEnd
    }

    public let usageId: String
    public let callId: String
    public let conferenceId: String?
    public let userLocation: CountryCode?
    public let userObjectId: String?
    public let upn: UserPrincipalName?
    public let userDisplayName: String?
    public let callerNumber: PhoneNumber
    public let callType: CallType
    public let numberType: NumberType?
    public let isDomestic: Bool
    /// The rate's destination name ("United Kingdom - Mobile").
    public let destinationName: String?
    public let destinationNumber: PhoneNumber
    public let externalCountry: CountryCode?
    public let startTime: Instant
    public let endTime: Instant
    public let durationSeconds: Int64
    /// After increments; what a pool is charged (times its units per second).
    public let billedSeconds: Int64
    /// SMS: message units sent; zero for calls.
    public let messageUnits: Int64
    public let connectionFeeMinor: Int64
    public let chargeMinor: Int64
    public let currency: Currency
    public let capability: Capability
    /// The pool that paid, and the units it used.
    public let pool: PoolKey?
    public let poolUnits: Int64
    public let source: Source
    public let administrativeUnits: String?
    /// A record uploaded for a user whose call real time would have refused for lack of a
    /// license or calling plan: charged to the credits all the same, since the call took place
    /// (`DOMAIN.md` section 7).
    public let unlicensedUse: Bool

    public init(
        usageId: String,
        callId: String,
        conferenceId: String?,
        userLocation: CountryCode?,
        userObjectId: String?,
        upn: UserPrincipalName?,
        userDisplayName: String?,
        callerNumber: PhoneNumber,
        callType: CallType,
        numberType: NumberType?,
        isDomestic: Bool,
        destinationName: String?,
        destinationNumber: PhoneNumber,
        externalCountry: CountryCode?,
        startTime: Instant,
        endTime: Instant,
        durationSeconds: Int64,
        billedSeconds: Int64,
        messageUnits: Int64,
        connectionFeeMinor: Int64,
        chargeMinor: Int64,
        currency: Currency,
        capability: Capability,
        pool: PoolKey?,
        poolUnits: Int64,
        source: Source,
        administrativeUnits: String?,
        unlicensedUse: Bool = false
    ) {
        self.usageId = usageId
        self.callId = callId
        self.conferenceId = conferenceId
        self.userLocation = userLocation
        self.userObjectId = userObjectId
        self.upn = upn
        self.userDisplayName = userDisplayName
        self.callerNumber = callerNumber
        self.callType = callType
        self.numberType = numberType
        self.isDomestic = isDomestic
        self.destinationName = destinationName
        self.destinationNumber = destinationNumber
        self.externalCountry = externalCountry
        self.startTime = startTime
        self.endTime = endTime
        self.durationSeconds = durationSeconds
        self.billedSeconds = billedSeconds
        self.messageUnits = messageUnits
        self.connectionFeeMinor = connectionFeeMinor
        self.chargeMinor = chargeMinor
        self.currency = currency
        self.capability = capability
        self.pool = pool
        self.poolUnits = poolUnits
        self.source = source
        self.administrativeUnits = administrativeUnits
        self.unlicensedUse = unlicensedUse
    }

    /// The report's Operator column: who carried the call.
    public static let operatorName = "CommsCredits"
}
