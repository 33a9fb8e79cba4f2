/// The platform's name for one call, unique within a tenant: the real-time session id, which
/// is also the usage id of the call's record.
public struct CallSessionId: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let maximumLength = 128
    public let rawValue: String

    /// Visible ASCII only (as SIP Call-IDs and platform GUIDs are): an id that Unicode could
    /// spell two ways would count once in a batch, where strings compare as characters, and
    /// twice across batches, where the database compares bytes.
    public init(_ text: String) throws(Refusal) {
        guard !text.isEmpty, text.utf8.count <= Self.maximumLength, !text.hasPrefix("~"),
            text.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "/") })
        else {
            throw Refusal.invalid(
                .invalidSessionId,
                "A session or usage id is 1 to \(Self.maximumLength) visible ASCII characters, without '/' or a leading '~'."
            )
        }
        rawValue = text
    }

    public init(stored: String) { rawValue = stored }
    public var description: String { rawValue }
    public static func < (lhs: CallSessionId, rhs: CallSessionId) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// *start*: may this call go ahead, who pays, for how long (`DOMAIN.md` section 7).
public struct CallStart: Hashable, Sendable {
    public let sessionId: CallSessionId
    public let requestNumber: Int64
    public let callType: CallType
    public let upn: UserPrincipalName?
    public let caller: PhoneNumber
    public let callee: PhoneNumber
    public let startTime: Instant
    /// The platform's own name for the call (a SIP Call-ID), shown in the report; the session
    /// id when it has none.
    public let callId: String?

    public init(
        sessionId: CallSessionId,
        requestNumber: Int64,
        callType: CallType,
        upn: UserPrincipalName?,
        caller: PhoneNumber,
        callee: PhoneNumber,
        startTime: Instant,
        callId: String? = nil
    ) {
        self.sessionId = sessionId
        self.requestNumber = requestNumber
        self.callType = callType
        self.upn = upn
        self.caller = caller
        self.callee = callee
        self.startTime = startTime
        self.callId = callId
    }

    public var fingerprint: String {
        "start type=\(callType.rawValue) upn=\(upn?.rawValue ?? "") caller=\(caller) callee=\(callee) start=\(startTime.millisecondsSinceEpoch)"
            + (callId.map { " callId=\($0)" } ?? "")
    }
}

/// A step after the start: *answer* (the callee answered: the grant counts from now), *update*
/// (seconds used so far, asking for more), *end* (the final duration), or *cancel* (the call
/// never connected).
public enum CallStep: Hashable, Sendable {
    case answer
    case update(usedSeconds: Int64)
    case end(durationSeconds: Int64, endTime: Instant)
    case cancel

    public var fingerprint: String {
        switch self {
        case .answer: "answer"
        case let .update(used): "update used=\(used)"
        case let .end(duration, endTime): "end duration=\(duration) end=\(endTime.millisecondsSinceEpoch)"
        case .cancel: "cancel"
        }
    }
}

/// The answer to one request, kept so that a repeat gets it again.
public struct CallAnswer: Hashable, Sendable {
    public var allowed: Bool
    public var reason: CallRefusal?
    public var capability: Capability?
    public var rateMicrosPerMinute: Int64?
    /// Seconds the platform may use from now on without asking again.
    public var grantedSeconds: Int64
    /// On *end*: what the call was charged. On *start*: the connection fee it will be charged.
    public var chargeMinor: Int64?
    public var connectionFeeMinor: Int64?
    public var usageId: String?
    /// The rate's billing increments, on the answer to *start*.
    public var firstIncrementSeconds: Int64?
    public var nextIncrementSeconds: Int64?
    /// The silent-session deadline: unless the platform reports again before it, the session is
    /// charged for the time granted (on the answers to *start*, *answer* and *update*).
    public var validUntil: Instant?
    /// On *end*: the seconds charged, which are the reported ones unless they ran beyond the
    /// grant or the call's own times (`CallLimits.chargedSeconds`).
    public var durationSeconds: Int64?
    /// On a late *end*: what the time-out had charged, which `chargeMinor` replaces.
    public var replacedChargeMinor: Int64?
    /// The balance cut this grant short: it is the last unless funds arrive (a purchase, an
    /// auto-recharge, another call's hold released) before it runs out, so the platform should
    /// ask again shortly before then rather than take it as final.
    public var finalGrant: Bool
    /// The destination rule that refused the call (`destinationBlocked`).
    public var refusedBy: DestinationRule?

    public init(
        allowed: Bool,
        reason: CallRefusal? = nil,
        capability: Capability? = nil,
        rateMicrosPerMinute: Int64? = nil,
        grantedSeconds: Int64 = 0,
        chargeMinor: Int64? = nil,
        connectionFeeMinor: Int64? = nil,
        usageId: String? = nil,
        firstIncrementSeconds: Int64? = nil,
        nextIncrementSeconds: Int64? = nil,
        validUntil: Instant? = nil,
        durationSeconds: Int64? = nil,
        replacedChargeMinor: Int64? = nil,
        finalGrant: Bool = false,
        refusedBy: DestinationRule? = nil
    ) {
        self.allowed = allowed
        self.reason = reason
        self.capability = capability
        self.rateMicrosPerMinute = rateMicrosPerMinute
        self.grantedSeconds = grantedSeconds
        self.chargeMinor = chargeMinor
        self.connectionFeeMinor = connectionFeeMinor
        self.usageId = usageId
        self.firstIncrementSeconds = firstIncrementSeconds
        self.nextIncrementSeconds = nextIncrementSeconds
        self.validUntil = validUntil
        self.durationSeconds = durationSeconds
        self.replacedChargeMinor = replacedChargeMinor
        self.finalGrant = finalGrant
        self.refusedBy = refusedBy
    }

    /// Why the call was refused, in words; nil when it was not.
    public var refusalDetail: String? { refusedBy?.detail ?? reason?.detail }

    static func refused(_ reason: CallRefusal, capability: Capability? = nil, rate: Rate? = nil) -> CallAnswer {
        CallAnswer(allowed: false, reason: reason, capability: capability, rateMicrosPerMinute: rate?.rateMicrosPerMinute)
    }
}

/// A call in progress, or how it ended.
public struct CallSession: Hashable, Sendable {
    public enum State: String, Hashable, Sendable, CaseIterable {
        case open
        case ended
        /// The platform went silent past the deadline; charged for the time granted (until a
        /// late end corrects it, which ends the session).
        case expired
        /// Refused at the start.
        case refused
        /// Never connected: its hold released, no usage record.
        case cancelled
    }

    public let id: CallSessionId
    public let start: CallStart
    public let facts: CallFacts
    public let capability: Capability?
    public let pool: PoolDraw?
    public internal(set) var state: State
    /// Seconds granted since the start, all answers together.
    public internal(set) var grantedSeconds: Int64
    public internal(set) var usedSeconds: Int64
    public internal(set) var heldMinor: Int64
    /// When the platform is presumed gone: twice the last grant after the last answer.
    public internal(set) var expiresAt: Instant
    public internal(set) var lastRequestNumber: Int64
    /// When the platform said the callee answered, by the service's clock; nil until then.
    public internal(set) var answeredAt: Instant?

    public init(
        id: CallSessionId,
        start: CallStart,
        facts: CallFacts,
        capability: Capability?,
        pool: PoolDraw?,
        state: State,
        grantedSeconds: Int64,
        usedSeconds: Int64,
        heldMinor: Int64,
        expiresAt: Instant,
        lastRequestNumber: Int64,
        answeredAt: Instant? = nil
    ) {
        self.id = id
        self.start = start
        self.facts = facts
        self.capability = capability
        self.pool = pool
        self.state = state
        self.grantedSeconds = grantedSeconds
        self.usedSeconds = usedSeconds
        self.heldMinor = heldMinor
        self.expiresAt = expiresAt
        self.lastRequestNumber = lastRequestNumber
        self.answeredAt = answeredAt
    }

    /// The ledger hold of this call.
    public var holdId: HoldId { HoldId("call/\(id)") }
}

/// A call record uploaded after the fact (`API.md`, usage-records).
public struct UsageUpload: Hashable, Sendable {
    public let usageId: CallSessionId
    public let callId: String?
    public let conferenceId: String?
    public let callType: CallType
    public let upn: UserPrincipalName?
    public let caller: PhoneNumber
    public let callee: PhoneNumber
    public let startTime: Instant
    public let durationSeconds: Int64
    /// SMS: message units; calls: ignored.
    public let messageUnits: Int64
    public let userObjectId: String?
    public let administrativeUnits: String?

    public init(
        usageId: CallSessionId,
        callId: String?,
        conferenceId: String?,
        callType: CallType,
        upn: UserPrincipalName?,
        caller: PhoneNumber,
        callee: PhoneNumber,
        startTime: Instant,
        durationSeconds: Int64,
        messageUnits: Int64,
        userObjectId: String?,
        administrativeUnits: String?
    ) {
        self.usageId = usageId
        self.callId = callId
        self.conferenceId = conferenceId
        self.callType = callType
        self.upn = upn
        self.caller = caller
        self.callee = callee
        self.startTime = startTime
        self.durationSeconds = durationSeconds
        self.messageUnits = messageUnits
        self.userObjectId = userObjectId
        self.administrativeUnits = administrativeUnits
    }

    /// Our rule: the platform's free-text fields have bounds, so that one record cannot bloat
    /// every report it appears in.
    public static let maximumIdLength = 256
    public static let maximumAdministrativeUnitsLength = 1_024

    /// `text` when it is within `limit` characters; a refusal naming `field` otherwise.
    public static func checkedText(_ text: String?, field: ProblemCode, limit: Int) throws(Refusal) -> String? {
        guard let text, text.count > limit else { return text }
        throw Refusal.invalid(field, "\(field.field) is at most \(limit) characters.")
    }

    public var fingerprint: String {
        "record type=\(callType.rawValue) upn=\(upn?.rawValue ?? "") caller=\(caller) callee=\(callee) start=\(startTime.millisecondsSinceEpoch) duration=\(durationSeconds) units=\(messageUnits)"
    }
}
