import CreditsCore
import CreditsEngine
import Synchronization

/// Credit control over Diameter (RFC 8506): a second door onto the same engine as the HTTP
/// call API. INITIAL is the call's *start* (the caller found by its Subscription-Id), UPDATE
/// its *update* with the seconds used so far, TERMINATION its *end*, EVENT a start and end at
/// once. A repeated request (same Session-Id and CC-Request-Number) is sent to the engine again
/// exactly as the first time, so it gets the first answer.
final class CreditControl: Sendable {
    let calls: CallService
    let clock: any CreditsClock
    let identity: DiameterIdentity

    /// What a Diameter session needs between its requests: the engine's session, and the
    /// cumulative seconds each request number reported. Kept in memory: after a restart an
    /// UPDATE or TERMINATION of an earlier session is `5002`, and the engine charges that
    /// session at its silent-session time-out.
    struct Session {
        let tenantId: TenantId
        let start: CallStartRequest
        /// The Origin-Host of the peer that started it, which a Re-Auth-Request goes to.
        let peer: String
        var usedByRequest: [UInt32: Int64] = [:]
        var lastSeen: Instant
        /// On a final grant: the tenant's available balance just after it. Once the balance
        /// grows past it, the session is due a Re-Auth-Request.
        var availableAfterFinalGrant: Int64?
    }

    private let sessions = Mutex<[String: Session]>([:])
    static let sessionsKeptSeconds: Int64 = 86_400

    init(calls: CallService, clock: any CreditsClock, identity: DiameterIdentity) {
        self.calls = calls
        self.clock = clock
        self.identity = identity
    }

    /// The answer to a Credit-Control-Request from `peer` (its Origin-Host).
    func answer(_ request: DiameterMessage, from peer: String) async -> DiameterMessage {
        do {
            let parsed = try CreditControlRequest(request)
            return request.answer(identity.base(for: request, .success) + (try await handle(parsed, from: peer)))
        } catch let failure as CreditControlFailure {
            return failure.answer(to: request, identity: identity)
        } catch {
            return CreditControlFailure(.unableToComply).answer(to: request, identity: identity)
        }
    }

    private func handle(_ request: CreditControlRequest, from peer: String) async throws -> [DiameterAVP] {
        let engineSession = try CallSessionId("dia-" + Digest.sha256Hex(Array(request.sessionId.utf8)).prefix(40))
        let requestNumber = Int64(request.requestNumber) + 1
        switch request.type {
        case .initial, .event:
            // Emergency calls are always allowed and never charged: nothing to control.
            if request.isEmergency { throw CreditControlFailure(.creditControlNotApplicable) }
            let start = try known(request.sessionId)?.start ?? request.start(sessionId: engineSession, at: clock.now())
            let platform = Principal(credential: .token(id: "diameter:" + peer), tenantId: nil, permissions: [.chargeCalls])
            let started = try await engine { try await calls.start(start, by: platform) }
            remember(request.sessionId, Session(tenantId: started.tenantId, start: start, peer: peer, lastSeen: clock.now()))
            guard request.type == .event, started.answer.allowed else {
                let units = try grant(started.answer, request)
                await noteGrant(started.answer, of: request.sessionId, in: started.tenantId)
                return units
            }
            let seconds = min(request.requestedSeconds ?? request.usedSeconds ?? 0, started.answer.grantedSeconds)
            let ended = try await engine {
                try await calls.end(
                    engineSession,
                    requestNumber: requestNumber + 1,
                    durationSeconds: seconds,
                    endTime: clock.now(),
                    for: started.tenantId
                )
            }
            return [
                DiameterAVP(
                    AVPCode.multipleServicesCreditControl,
                    grouped: [
                        DiameterAVP(
                            AVPCode.grantedServiceUnit,
                            grouped: [DiameterAVP(AVPCode.ccTime, unsigned32: UInt32(clamping: ended.durationSeconds ?? 0))]
                        ),
                        DiameterAVP(AVPCode.resultCode, unsigned32: DiameterResultCode.success.rawValue),
                    ]
                )
            ]
        case .update, .termination:
            guard let session = known(request.sessionId) else { throw CreditControlFailure(.unknownSessionId) }
            let used = used(by: request)
            if request.type == .update {
                let answer = try await engine {
                    try await calls.update(engineSession, requestNumber: requestNumber, usedSeconds: used, for: session.tenantId)
                }
                let units = try grant(answer, request)
                await noteGrant(answer, of: request.sessionId, in: session.tenantId)
                return units
            }
            sessions.withLock { $0[request.sessionId]?.availableAfterFinalGrant = nil }
            _ = try await engine {
                try await calls.end(engineSession, requestNumber: requestNumber, durationSeconds: used, endTime: clock.now(), for: session.tenantId)
            }
            return []
        }
    }

    /// The seconds used so far: the last report's total plus this request's Used-Service-Unit,
    /// or, for a repeat, what its first sending reported.
    private func used(by request: CreditControlRequest) -> Int64 {
        let now = clock.now()
        return sessions.withLock { sessions in
            let reported = sessions[request.sessionId]?.usedByRequest ?? [:]
            if let repeated = reported[request.requestNumber] { return repeated }
            let before = reported.filter { $0.key < request.requestNumber }.max { $0.key < $1.key }?.value ?? 0
            let total = before &+ (request.usedSeconds ?? 0)
            sessions[request.sessionId]?.usedByRequest[request.requestNumber] = total
            sessions[request.sessionId]?.lastSeen = now
            return total
        }
    }

    /// The Multiple-Services-Credit-Control of an answer that grants time, or the refusal as
    /// its result code. A grant shorter than the quota for a call the credits pay is the last
    /// the balance allows: it carries Final-Unit-Indication TERMINATE.
    private func grant(_ answer: CallAnswer, _ request: CreditControlRequest) throws -> [DiameterAVP] {
        guard answer.allowed, answer.grantedSeconds > 0 else {
            throw CreditControlFailure(answer.reason.map(DiameterResultCode.init) ?? .creditLimitReached)
        }
        var units = [
            DiameterAVP(AVPCode.grantedServiceUnit, grouped: [DiameterAVP(AVPCode.ccTime, unsigned32: UInt32(clamping: answer.grantedSeconds))]),
            DiameterAVP(AVPCode.validityTime, unsigned32: UInt32(clamping: answer.grantedSeconds)),
            DiameterAVP(AVPCode.resultCode, unsigned32: DiameterResultCode.success.rawValue),
        ]
        if answer.finalGrant {
            units.append(DiameterAVP(AVPCode.finalUnitIndication, grouped: [DiameterAVP(AVPCode.finalUnitAction, unsigned32: 0)]))
        }
        return [DiameterAVP(AVPCode.multipleServicesCreditControl, grouped: units)]
    }

    // MARK: Re-Auth when funds arrive

    /// Notes a final grant with the balance just after it, so that funds arriving later earn
    /// the session a Re-Auth-Request; any other grant clears the note.
    private func noteGrant(_ answer: CallAnswer, of sessionId: String, in tenantId: TenantId) async {
        let available = answer.finalGrant ? try? await calls.availableMinor(for: tenantId) : nil
        sessions.withLock { $0[sessionId]?.availableAfterFinalGrant = available }
    }

    /// The sessions on a final grant whose tenant may now spend more than just after it (a
    /// purchase, an auto-recharge, another call's hold released), with their peers; each is
    /// returned once, until its next final grant.
    func sessionsToReAuthorize() async -> [(sessionId: String, peer: String)] {
        let waiting = sessions.withLock { sessions in
            sessions.compactMap { id, session in session.availableAfterFinalGrant.map { (id, session.tenantId, session.peer, $0) } }
        }
        var due: [(sessionId: String, peer: String)] = []
        for tenantId in Set(waiting.map(\.1)) {
            guard let available = try? await calls.availableMinor(for: tenantId) else { continue }
            due += waiting.filter { $0.1 == tenantId && available > $0.3 }.map { ($0.0, $0.2) }
        }
        sessions.withLock { sessions in
            for session in due { sessions[session.sessionId]?.availableAfterFinalGrant = nil }
        }
        return due
    }

    /// RFC 8506 section 5.5: the server asks the client to re-authorize the session now (it
    /// answers RAA and sends a CCR UPDATE, which the new funds answer with more time).
    func reAuthRequest(for sessionId: String, peerHost: String, peerRealm: String, id: UInt32) -> DiameterMessage {
        DiameterMessage(
            flags: [.request, .proxiable],
            commandCode: DiameterCommand.reAuth,
            applicationId: 4,
            hopByHop: id,
            endToEnd: id,
            avps: [
                DiameterAVP(AVPCode.sessionId, string: sessionId),
                DiameterAVP(AVPCode.originHost, string: identity.originHost),
                DiameterAVP(AVPCode.originRealm, string: identity.originRealm),
                DiameterAVP(AVPCode.destinationRealm, string: peerRealm),
                DiameterAVP(AVPCode.destinationHost, string: peerHost),
                DiameterAVP(AVPCode.authApplicationId, unsigned32: 4),
                DiameterAVP(AVPCode.reAuthRequestType, unsigned32: 0),
            ]
        )
    }

    private func known(_ sessionId: String) -> Session? {
        sessions.withLock { $0[sessionId] }
    }

    private func remember(_ sessionId: String, _ session: Session) {
        let now = clock.now()
        sessions.withLock { sessions in
            if sessions[sessionId] == nil { sessions[sessionId] = session }
            // Now and then, the sessions silent for a day go: the engine has long charged them.
            if sessions.count % 1024 == 0 {
                sessions = sessions.filter { now.millisecondsSinceEpoch - $0.value.lastSeen.millisecondsSinceEpoch < Self.sessionsKeptSeconds * 1000 }
            }
        }
    }

    /// Runs an engine request, turning its refusals into result codes.
    private func engine<Value>(_ operation: () async throws -> Value) async throws -> Value {
        do {
            return try await operation()
        } catch let error as Refusal {
            throw CreditControlFailure(DiameterResultCode(error), message: error.detail)
        }
    }
}

/// The server's own name in answers.
struct DiameterIdentity: Sendable {
    let originHost: String
    let originRealm: String

    /// Session-Id (first, as RFC 6733 wants), Result-Code, Origin-Host and -Realm, and a
    /// credit-control answer's Auth-Application-Id, CC-Request-Type and -Number.
    func base(for request: DiameterMessage, _ result: DiameterResultCode) -> [DiameterAVP] {
        var avps: [DiameterAVP] = []
        if let session = request.first(AVPCode.sessionId) { avps.append(session) }
        avps += [
            DiameterAVP(AVPCode.resultCode, unsigned32: result.rawValue), DiameterAVP(AVPCode.originHost, string: originHost),
            DiameterAVP(AVPCode.originRealm, string: originRealm),
        ]
        if request.commandCode == DiameterCommand.creditControl {
            avps.append(DiameterAVP(AVPCode.authApplicationId, unsigned32: 4))
            for code in [AVPCode.ccRequestType, AVPCode.ccRequestNumber] {
                if let avp = request.first(code) { avps.append(avp) }
            }
        }
        return avps
    }
}

/// A request answered with a result code other than success.
struct CreditControlFailure: Error {
    let code: DiameterResultCode
    var failed: DiameterAVP?
    var message: String?

    init(_ code: DiameterResultCode, failed: DiameterAVP? = nil, message: String? = nil) {
        self.code = code
        self.failed = failed
        self.message = message
    }

    func answer(to request: DiameterMessage, identity: DiameterIdentity) -> DiameterMessage {
        var avps = identity.base(for: request, code)
        if let message { avps.append(DiameterAVP(AVPCode.errorMessage, mandatory: false, string: String(message.prefix(200)))) }
        if let failed { avps.append(DiameterAVP(AVPCode.failedAVP, grouped: [failed])) }
        return request.answer(avps, error: code.isProtocolError)
    }
}

extension DiameterResultCode {
    /// A refused call (`DOMAIN.md` section 7) as RFC 8506 says it.
    init(_ refusal: CallRefusal) {
        self =
            switch refusal {
            case .insufficientBalance, .spendLimitReached: .creditLimitReached
            case .creditsLicenseMissing, .noCallingPlan, .poolExhausted, .destinationBlocked, .velocitySuspended: .endUserServiceDenied
            case .unknownUser: .userUnknown
            case .unknownDestination: .ratingFailed
            }
    }

    /// An engine's refusal of the request itself.
    init(_ error: Refusal) {
        self =
            switch error.code {
            case .unknownNumber, .unknownUser, .unknownTenant: .userUnknown
            case .unknownSession, .sessionClosed: .unknownSessionId
            case .overloaded: .unableToComply
            default: error.kind == .invalid || error.kind == .conflict ? .invalidAVPValue : .unableToComply
            }
    }
}
