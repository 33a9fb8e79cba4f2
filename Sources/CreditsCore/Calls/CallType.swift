/// The call types of the usage report (`DOMAIN.md` section 10).
public enum CallType: String, Hashable, Sendable, CaseIterable {
    case userIn = "user_in"
    case userOut = "user_out"
    case userOutConference = "user_out_conf"
    case userOutTransfer = "user_out_transfer"
    case userOutForwarding = "user_out_forwarding"
    case conferenceIn = "conf_in"
    case conferenceOut = "conf_out"
    case unassignedIn = "unassigned_in"
    case emergencyIn = "emergency_in"
    case emergencyOut = "emergency_out"
    case resourceAccountIn = "ucap_in"
    case resourceAccountOut = "ucap_out"
    case resourceAccountOutConference = "ucap_out_conf"
    case smsIn = "sms_in"
    case smsOut = "sms_out"

    public var isIncoming: Bool {
        switch self {
        case .userIn, .conferenceIn, .unassignedIn, .emergencyIn, .resourceAccountIn, .smsIn: true
        default: false
        }
    }

    public var isSMS: Bool { self == .smsIn || self == .smsOut }

    /// "Inbound" or "Outbound", as the report writes it.
    public var direction: String { isIncoming ? "Inbound" : "Outbound" }

    /// Whether a user of the tenant must be named: the calls of a person, and conferences
    /// (by their organizer). Auto attendants, call queues and unassigned numbers have none.
    public var needsUser: Bool {
        switch self {
        case .userIn, .userOut, .userOutConference, .userOutTransfer, .userOutForwarding, .conferenceIn, .conferenceOut, .smsOut: true
        default: false
        }
    }

    /// The number outside the tenant: the callee of an outgoing call, the caller of an incoming one.
    public func externalNumber(caller: PhoneNumber, callee: PhoneNumber) -> PhoneNumber { isIncoming ? caller : callee }
}

/// What pays for a call: the license that paid, as the report's Capability column shows it.
public enum Capability: String, Hashable, Sendable, CaseIterable {
    /// Emergency calls: always allowed, never charged.
    case emergency = "EMERGENCY"
    /// Incoming calls to the tenant's own numbers (not toll-free): included.
    case incoming = "INCOMING"
    case domesticCallingPlan = "MCOPSTN1"
    case domesticCallingPlan120 = "MCOPSTN5"
    case domesticCallingPlan240 = "MCOPSTN6"
    case domesticAndInternationalCallingPlan = "MCOPSTN2"
    /// The conferencing dial-out pool for Zone A.
    case conferencingPool = "MCOMEETADD"
    case communicationsCredits = "MCOPSTNPP"
    case payPerMinuteConferencing = "MCOMEETACPEA"
    /// NCE and MCA tenants, billed after use.
    case postUsage = "POSTUSAGE"
    /// A record after the fact that could not be priced (no rate for its number).
    case freeCall = "FREECALL"

    /// Whether the credit balance pays.
    public var isCredits: Bool { self == .communicationsCredits || self == .payPerMinuteConferencing }
}

/// Why a call may not start (`DOMAIN.md` section 7); the raw value is the answer's `reason`.
public enum CallRefusal: String, Hashable, Sendable, CaseIterable, Error {
    /// Credits would pay, and the user lacks the Communications Credits license.
    case creditsLicenseMissing
    /// Credits would pay, and the available balance is zero or less, or covers not one increment.
    case insufficientBalance
    /// A domestic call whose pool is spent, with nothing else to pay for it, until next month.
    case poolExhausted
    /// No rate for the number dialled.
    case unknownDestination
    /// An outgoing call of a user with no calling plan: it cannot reach the telephone network.
    case noCallingPlan
    /// The call names a user the tenant does not have.
    case unknownUser
    /// The tenant's destination rules (or the user's own) block the number dialled; the answer
    /// names the rule (`CallAnswer.refusedBy`).
    case destinationBlocked
    /// Credits would pay, and the user's monthly spend limit leaves too little for the call.
    case spendLimitReached
    /// Credits would pay for an international or premium call, and the velocity alarm has
    /// suspended such calls until an administrator resumes them.
    case velocitySuspended

    public var detail: String {
        switch self {
        case .creditsLicenseMissing:
            "Communications Credits would pay for this call, and the user does not hold the Communications Credits license (MCOPSTNPP)."
        case .insufficientBalance: "The Communications Credits balance available for calls is used up."
        case .poolExhausted:
            "This month's minutes of the user's calling plan are used up, and nothing else may pay for the call until the pool resets on the first of the month."
        case .unknownDestination: "No rate is known for the number dialled."
        case .noCallingPlan: "The user has no calling plan, so outgoing calls cannot reach the telephone network."
        case .unknownUser: "The call names a user this tenant does not have, or a caller its directory does not know."
        case .destinationBlocked: "The destination rules block the number dialled."
        case .spendLimitReached:
            "The user's monthly Communications Credits spend limit is reached; credit-paid calls are refused until the first of next month (UTC) or until the limit is raised."
        case .velocitySuspended:
            "The velocity alarm saw credits spent faster than the tenant allows, and suspended international and premium calls paid from the credits until an administrator resumes them."
        }
    }
}
