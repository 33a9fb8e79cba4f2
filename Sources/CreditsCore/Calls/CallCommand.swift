/// A request to a tenant's calls, as `TenantCalls` applies it.
public enum CallCommand: Hashable, Sendable {
    case start(CallStart)
    /// *update* or *end* of a session.
    case step(CallSessionId, requestNumber: Int64, CallStep)
    /// Up to `LedgerLimits.maximumBatchSize` records uploaded after the fact.
    case upload([UsageUpload])
    /// Charges those of these sessions whose platform went silent past their deadline.
    case expireSilent([CallSessionId])
}

/// What a command came to.
public enum CallCommandOutcome: Hashable, Sendable {
    case call(CallOutcome)
    case usage(UsageBatchOutcome)
    /// The balance to judge auto-recharge on, when the time-outs charged credits and it calls
    /// for one; the judgement the store made on it.
    case expired(balanceMinor: Int64?, recharge: RechargePolicy.Judgement?)

    /// The balance this outcome asks auto-recharge to be judged on.
    public var balanceForRechargeJudgement: Int64? {
        switch self {
        case let .call(outcome): outcome.balanceMinor
        case let .usage(outcome): outcome.balanceMinor
        case let .expired(balance, _): balance
        }
    }

    /// The outcome of a start or a step, which is always a call's.
    public var callOutcome: CallOutcome {
        guard case let .call(outcome) = self else { preconditionFailure("a start or a step is answered as a call: \(self)") }
        return outcome
    }

    /// The outcome of an upload, which is always its records'.
    public var usageOutcome: UsageBatchOutcome {
        guard case let .usage(outcome) = self else { preconditionFailure("an upload is answered with its records: \(self)") }
        return outcome
    }

    /// Of a batch's outcomes, the one to carry the batch's auto-recharge judgement: the last that
    /// asks for one. One judgement, made after the batch's last such charge, serves them all.
    public static func judgedOne(of outcomes: [Result<CallCommandOutcome, any Error>]) -> Int? {
        outcomes.lastIndex { (try? $0.get())?.balanceForRechargeJudgement != nil }
    }

    /// The outcome with the judgement the store made on its balance.
    public func judged(_ judgement: RechargePolicy.Judgement) -> CallCommandOutcome {
        switch self {
        case var .call(outcome):
            outcome.recharge = judgement
            return .call(outcome)
        case var .usage(outcome):
            outcome.recharge = judgement
            return .usage(outcome)
        case let .expired(balance, _):
            return .expired(balanceMinor: balance, recharge: judgement)
        }
    }
}

/// One request of one session, whose answer is kept so that a repeat gets it again.
public struct CallAnswerKey: Hashable, Sendable {
    public let sessionId: CallSessionId
    public let requestNumber: Int64

    public init(sessionId: CallSessionId, requestNumber: Int64) {
        self.sessionId = sessionId
        self.requestNumber = requestNumber
    }
}

/// An answer as kept: with the fingerprint of the request that got it.
public struct KeptCallAnswer: Hashable, Sendable {
    public let fingerprint: String
    public let answer: CallAnswer

    public init(fingerprint: String, answer: CallAnswer) {
        self.fingerprint = fingerprint
        self.answer = answer
    }
}

/// A usage record as kept: with the fingerprint of the upload that wrote it (`session` for a
/// real-time call's own record).
public struct KeptUsageRecord: Hashable, Sendable {
    public let fingerprint: String
    public let record: UsageRecord

    public init(fingerprint: String, record: UsageRecord) {
        self.fingerprint = fingerprint
        self.record = record
    }

    /// The fingerprint of the record a call's *end* or time-out writes.
    public static let realTimeFingerprint = "session"
}

/// The answer to a call request; the balance to judge auto-recharge on when it charged credits
/// and the balance calls for a recharge (`CallDesk.balanceForRechargeJudgement`), nil otherwise.
public struct CallOutcome: Hashable, Sendable {
    public let answer: CallAnswer
    public let balanceMinor: Int64?
    /// The tenant's currency, which the answer's amounts are in.
    public let currency: Currency?
    /// Whether this request charged credits (a repeat, a start or an end already charged by an upload did not).
    public let chargedCredits: Bool
    /// The auto-recharge judgement the store made on `balanceMinor`, in the same transaction.
    public var recharge: RechargePolicy.Judgement?

    public init(answer: CallAnswer, balanceMinor: Int64?, currency: Currency? = nil, chargedCredits: Bool = false) {
        self.answer = answer
        self.balanceMinor = balanceMinor
        self.currency = currency
        self.chargedCredits = chargedCredits
    }
}

/// What became of each uploaded record.
public enum UsageResult: Hashable, Sendable {
    case charged(UsageRecord)
    /// A record with this usage id and the same content was charged before.
    case duplicate(UsageRecord)
    case refused(Refusal)
}

public struct UsageBatchOutcome: Hashable, Sendable {
    public let results: [UsageResult]
    /// The balance after the batch, when it charged credits and calls for a recharge (`CallDesk.balanceForRechargeJudgement`).
    public let balanceMinor: Int64?
    /// The auto-recharge judgement the store made on `balanceMinor`, in the same transaction.
    public var recharge: RechargePolicy.Judgement?

    public init(results: [UsageResult], balanceMinor: Int64?) {
        self.results = results
        self.balanceMinor = balanceMinor
    }
}

extension Refusal {
    public static func unknownSession(_ id: CallSessionId) -> Refusal {
        Refusal(.unknownSession, detail: "No call session '\(id)' was started in this tenant.")
    }

    public static func sessionExists(_ id: CallSessionId) -> Refusal {
        Refusal(.sessionExists, detail: "Call session '\(id)' was already started with another request number.")
    }

    public static func sessionClosed(_ id: CallSessionId, _ state: CallSession.State) -> Refusal {
        Refusal(.sessionClosed, detail: "Call session '\(id)' is \(state.rawValue); it takes no more requests.")
    }

    public static func requestConflict(_ id: CallSessionId, _ number: Int64) -> Refusal {
        Refusal(.requestConflict, detail: "Request \(number) of call session '\(id)' was already answered for other content.")
    }

    public static func usageConflict(_ id: CallSessionId) -> Refusal {
        Refusal(.usageConflict, detail: "A different record was already charged under usage id '\(id)'.")
    }

    public static func sessionAnswered(_ id: CallSessionId, step: String) -> Refusal {
        Refusal(
            .sessionAnswered,
            detail: "Call session '\(id)' was answered (or reported seconds used); it cannot be \(step).",
            remedy: "Send end with the call's duration."
        )
    }

    public static func lateEndUncorrectable(_ id: CallSessionId, _ error: LedgerError) -> Refusal {
        Refusal(
            .lateEndUncorrectable,
            detail: "Call session '\(id)' was charged by its time-out, and that charge cannot be given back: \(error.description)",
            remedy: "The time-out's charge stands."
        )
    }

    public static func requestOutOfOrder(_ id: CallSessionId, _ number: Int64, last: Int64) -> Refusal {
        Refusal(
            .requestOutOfOrder,
            detail: "Request \(number) of call session '\(id)' comes after request \(last); numbers must increase."
        )
    }
}
