import CreditsCore

/// A Credit-Control-Request as the engine needs it, read and checked: a missing AVP is `5005`,
/// a wrong value `5004`, an unknown mandatory AVP `5001`, each naming the AVP.
struct CreditControlRequest {
    enum RequestType: UInt32 {
        case initial = 1
        case update, termination, event
    }

    let sessionId: String
    let type: RequestType
    let requestNumber: UInt32
    /// The caller: the first Subscription-Id of type END_USER_E164 (0) or END_USER_SIP_URI (2).
    let caller: DirectoryIdentity?
    let callee: PhoneNumber?
    /// The number called is an emergency short code: no credit control applies (4011).
    let isEmergency: Bool
    let eventTime: Instant?
    let requestedSeconds: Int64?
    let usedSeconds: Int64?

    init(_ message: DiameterMessage) throws(CreditControlFailure) {
        if let unsupported = Self.unsupported(in: message.avps) { throw CreditControlFailure(.avpUnsupported, failed: unsupported) }
        guard message.applicationId == 4 else { throw CreditControlFailure(.applicationUnsupported) }
        let sessionAVP = try Self.require(AVPCode.sessionId, in: message)
        guard let session = sessionAVP.string, !session.isEmpty else { throw CreditControlFailure(.invalidAVPValue, failed: sessionAVP) }
        sessionId = session
        let authApplication = try Self.require(AVPCode.authApplicationId, in: message)
        guard authApplication.unsigned32 == 4 else { throw CreditControlFailure(.invalidAVPValue, failed: authApplication) }
        _ = try Self.require(AVPCode.originHost, in: message)
        _ = try Self.require(AVPCode.originRealm, in: message)
        let typeAVP = try Self.require(AVPCode.ccRequestType, in: message)
        guard let type = typeAVP.unsigned32.flatMap(RequestType.init) else { throw CreditControlFailure(.invalidAVPValue, failed: typeAVP) }
        self.type = type
        let numberAVP = try Self.require(AVPCode.ccRequestNumber, in: message)
        guard let number = numberAVP.unsigned32 else { throw CreditControlFailure(.invalidAVPValue, failed: numberAVP) }
        requestNumber = number
        caller = try Self.caller(message)
        let called = try Self.calledAddress(message)
        isEmergency = called.map { NumberingPlan.emergencyShortCodes.contains($0.text) } ?? false
        callee = isEmergency ? nil : try called.map(Self.callee)
        eventTime = try message.first(AVPCode.eventTimestamp).map { avp throws(CreditControlFailure) in
            // NTP seconds: from 1900, 2,208,988,800 s before 1970.
            guard let seconds = avp.unsigned32 else { throw CreditControlFailure(.invalidAVPValue, failed: avp) }
            return Instant(millisecondsSinceEpoch: (Int64(seconds) - 2_208_988_800) * 1000)
        }
        let services = message.first(AVPCode.multipleServicesCreditControl)?.grouped ?? message.avps
        requestedSeconds = try Self.ccTime(AVPCode.requestedServiceUnit, in: services)
        usedSeconds = try Self.ccTime(AVPCode.usedServiceUnit, in: services)
        if (type == .initial || type == .event) && !isEmergency {
            guard caller != nil else { throw CreditControlFailure(.missingAVP, failed: DiameterAVP(AVPCode.subscriptionId, data: [])) }
            guard callee != nil else {
                throw CreditControlFailure(.missingAVP, failed: DiameterAVP(AVPCode.calledPartyAddress, vendor: AVPCode.vendor3GPP, data: []))
            }
        }
    }

    /// The engine's start: an outgoing call of the subscriber, dated by Event-Timestamp (or
    /// now), with the Session-Id as the call's id in the report.
    func start(sessionId engineSession: CallSessionId, at now: Instant) throws(CreditControlFailure) -> CallStartRequest {
        guard let caller, let callee else { throw CreditControlFailure(.missingAVP) }
        do {
            return try CallStartRequest(
                sessionId: engineSession,
                requestNumber: Int64(requestNumber) + 1,
                callType: .userOut,
                upn: nil,
                callerAddress: { if case let .sip(address) = caller { address } else { nil } }(),
                callerNumber: caller.phoneNumber,
                callee: callee,
                startTime: eventTime ?? now,
                callId: String(sessionId.prefix(UsageUpload.maximumIdLength))
            )
        } catch {
            throw CreditControlFailure(.invalidAVPValue, message: error.detail)
        }
    }

    private static func require(_ code: UInt32, in message: DiameterMessage) throws(CreditControlFailure) -> DiameterAVP {
        guard let avp = message.first(code) else { throw CreditControlFailure(.missingAVP, failed: DiameterAVP(code, data: [])) }
        return avp
    }

    private static func caller(_ message: DiameterMessage) throws(CreditControlFailure) -> DirectoryIdentity? {
        for avp in message.avps where avp.code == AVPCode.subscriptionId && avp.vendorId == 0 {
            guard let parts = avp.grouped, let type = parts.first(where: { $0.code == AVPCode.subscriptionIdType })?.unsigned32,
                let data = parts.first(where: { $0.code == AVPCode.subscriptionIdData })?.string
            else { throw CreditControlFailure(.invalidAVPValue, failed: avp) }
            do throws(Refusal) {
                switch type {
                case 0: return .number(try PhoneNumber(data.hasPrefix("+") ? data : "+" + data))
                case 2: return .sip(try SIPAddress(data))
                default: continue
                }
            } catch {
                throw CreditControlFailure(.invalidAVPValue, failed: avp, message: error.detail)
            }
        }
        return nil
    }

    /// The number called, as sent: 3GPP Called-Party-Address (a tel: or sip: URI, or a number),
    /// or Called-Station-Id; without its scheme, host and parameters.
    private static func calledAddress(_ message: DiameterMessage) throws(CreditControlFailure) -> (text: String, avp: DiameterAVP)? {
        let ims = message.first(AVPCode.serviceInformation, vendor: AVPCode.vendor3GPP)?.grouped?
            .first { $0.code == AVPCode.imsInformation && $0.vendorId == AVPCode.vendor3GPP }?.grouped
        guard
            let avp = ims?.first(where: { $0.code == AVPCode.calledPartyAddress && $0.vendorId == AVPCode.vendor3GPP })
                ?? message.first(AVPCode.calledStationId)
        else { return nil }
        guard var text = avp.string else { throw CreditControlFailure(.invalidAVPValue, failed: avp) }
        for scheme in ["tel:", "sips:", "sip:"] where text.lowercased().hasPrefix(scheme) { text = String(text.dropFirst(scheme.count)) }
        return (String(text.prefix { $0 != "@" && $0 != ";" }), avp)
    }

    /// The number called in E.164; digits without the `+` are taken as international.
    private static func callee(_ called: (text: String, avp: DiameterAVP)) throws(CreditControlFailure) -> PhoneNumber {
        do {
            return try PhoneNumber(called.text.hasPrefix("+") ? called.text : "+" + called.text)
        } catch {
            throw CreditControlFailure(.invalidAVPValue, failed: called.avp, message: error.detail)
        }
    }

    private static func ccTime(_ unit: UInt32, in avps: [DiameterAVP]) throws(CreditControlFailure) -> Int64? {
        guard let avp = avps.first(where: { $0.code == unit && $0.vendorId == 0 }) else { return nil }
        guard let parts = avp.grouped else { throw CreditControlFailure(.invalidAVPValue, failed: avp) }
        guard let time = parts.first(where: { $0.code == AVPCode.ccTime }) else { return nil }
        guard let seconds = time.unsigned32 else { throw CreditControlFailure(.invalidAVPValue, failed: time) }
        return Int64(seconds)
    }

    /// The first AVP with the M bit that the server does not know, here or inside the grouped
    /// AVPs it reads.
    static func unsupported(in avps: [DiameterAVP]) -> DiameterAVP? {
        let grouped: Set<UInt32> = [
            AVPCode.subscriptionId, AVPCode.multipleServicesCreditControl, AVPCode.requestedServiceUnit,
            AVPCode.usedServiceUnit, AVPCode.grantedServiceUnit, AVPCode.serviceInformation, AVPCode.imsInformation,
        ]
        for avp in avps {
            if avp.mandatory, !AVPCode.known.contains(AVPCode.Key(code: avp.code, vendor: avp.vendorId)) { return avp }
            if grouped.contains(avp.code), let inner = avp.grouped, let found = unsupported(in: inner) { return found }
        }
        return nil
    }
}
