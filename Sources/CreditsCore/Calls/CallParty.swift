/// A start as the platform sends it, before the directory is asked: the user named by sign-in
/// name, or the call named by the caller's number or SIP address (outgoing) or the number
/// called (incoming), for the directory to resolve.
public struct CallStartRequest: Hashable, Sendable {
    public let sessionId: CallSessionId
    public let requestNumber: Int64
    public let callType: CallType
    public let upn: UserPrincipalName?
    public let callerAddress: SIPAddress?
    public let callerNumber: PhoneNumber?
    public let callee: PhoneNumber
    public let startTime: Instant
    public let callId: String?

    public init(
        sessionId: CallSessionId,
        requestNumber: Int64,
        callType: CallType,
        upn: UserPrincipalName?,
        callerAddress: SIPAddress?,
        callerNumber: PhoneNumber?,
        callee: PhoneNumber,
        startTime: Instant,
        callId: String?
    ) throws(Refusal) {
        guard callerAddress == nil || !callType.isIncoming else {
            throw Refusal.invalid(
                .invalidCallerUri,
                "callerUri names the tenant's own caller of an outgoing call; an incoming call is found by its calleeNumber."
            )
        }
        guard callerNumber != nil || callerAddress != nil else {
            throw Refusal.invalid(.invalidCallerNumber, "Give callerNumber (or, for an outgoing call, the caller's callerUri).")
        }
        self.sessionId = sessionId
        self.requestNumber = requestNumber
        self.callType = callType
        self.upn = upn
        self.callerAddress = callerAddress
        self.callerNumber = callerNumber
        self.callee = callee
        self.startTime = startTime
        self.callId = callId
    }

    /// The tenant's own party of the call, as the directory knows it: the caller of an outgoing
    /// call (its SIP address before its number), the number called of an incoming one.
    public var ownParty: DirectoryIdentity {
        if callType.isIncoming { return .number(callee) }
        if let callerAddress { return .sip(callerAddress) }
        return .number(callerNumber!)
    }

    /// Whether the directory must be asked within a tenant named by the path: only when no
    /// user is named and the call needs one, or the caller's number is missing.
    public var needsDirectory: Bool { upn == nil && callType.needsUser || callerNumber == nil }

    /// The start once the directory has answered: `assignment` of `ownParty` (nil when it has
    /// none in this tenant), and `holderNumber`, the holder's phone number when the caller's was
    /// not given. A named user wins over the directory's; a user the directory does not give is
    /// left out, and the engine refuses the call as `unknownUser` if it needs one.
    public func resolved(by assignment: NumberAssignment?, holderNumber: PhoneNumber?) throws(Refusal) -> CallStart {
        guard let caller = callerNumber ?? holderNumber else {
            guard assignment != nil else { throw Refusal.unknownNumber(ownParty) }
            throw Refusal.invalid(.invalidCallerNumber, "\(ownParty) has no phone number in the directory; give callerNumber.")
        }
        return CallStart(
            sessionId: sessionId,
            requestNumber: requestNumber,
            callType: callType,
            upn: upn ?? assignment?.holder.upn,
            caller: caller,
            callee: callee,
            startTime: startTime,
            callId: callId
        )
    }
}
