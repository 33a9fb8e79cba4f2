/// "When the balance falls below `triggerAmountMinor`, recharge with `rechargeAmountMinor`."
public struct AutoRechargeSettings: Hashable, Sendable {
    public let enabled: Bool
    public let rechargeAmountMinor: Int64
    public let triggerAmountMinor: Int64

    public static let off = AutoRechargeSettings(unchecked: false, rechargeAmountMinor: 0, triggerAmountMinor: 0)

    /// Enabled settings need both amounts within the purchase bounds; disabled ones keep
    /// whatever amounts were shown, as long as they are not negative or beyond the bounds.
    public init(enabled: Bool, rechargeAmountMinor: Int64, triggerAmountMinor: Int64, currency: Currency) throws(Refusal) {
        let bounds = PurchaseLimits.amountRange(currency)
        for (code, amount) in [(ProblemCode.invalidRechargeAmount, rechargeAmountMinor), (.invalidTriggerAmount, triggerAmountMinor)] {
            let allowed = enabled ? bounds : 0...bounds.upperBound
            guard allowed.contains(amount) else {
                throw Refusal.invalid(
                    code,
                    "\(code.field)Minor must be between \(MoneyText.withCode(allowed.lowerBound, currency)) and \(MoneyText.withCode(allowed.upperBound, currency)) (\(allowed.lowerBound) to \(allowed.upperBound) minor units)\(enabled ? " while auto-recharge is on" : "")."
                )
            }
        }
        self.init(unchecked: enabled, rechargeAmountMinor: rechargeAmountMinor, triggerAmountMinor: triggerAmountMinor)
    }

    /// Whether a balance calls for a recharge: auto-recharge is on and the balance is below the
    /// trigger (`DOMAIN.md` section 4). Whether one may start (one in flight, the burst stop) is
    /// the store's to judge when it records the recharge.
    public func wantsRecharge(atBalance balanceMinor: Int64) -> Bool {
        enabled && balanceMinor < triggerAmountMinor
    }

    /// Settings read back from a store, which were checked when they were written.
    public init(unchecked enabled: Bool, rechargeAmountMinor: Int64, triggerAmountMinor: Int64) {
        self.enabled = enabled
        self.rechargeAmountMinor = rechargeAmountMinor
        self.triggerAmountMinor = triggerAmountMinor
    }

    /// Whether saving `after` over `before` is a moment to judge a recharge (`DOMAIN.md`
    /// section 4): auto-recharge turned on, or its trigger raised; the same settings saved
    /// again, or a lower trigger, start none.
    public static func needsJudgement(from before: AutoRechargeSettings, to after: AutoRechargeSettings) -> Bool {
        after.enabled && (!before.enabled || after.triggerAmountMinor > before.triggerAmountMinor)
    }
}

/// Bounds on what one purchase or recharge adds (our rule: 1 to 100,000 currency units).
public enum PurchaseLimits {
    public static let minimumUnits: Int64 = 1
    public static let maximumUnits: Int64 = 100_000

    public static func amountRange(_ currency: Currency) -> ClosedRange<Int64> {
        (minimumUnits * currency.minorUnitsPerMajorUnit)...(maximumUnits * currency.minorUnitsPerMajorUnit)
    }

    public static func checkAmount(_ amountMinor: Int64, _ currency: Currency) throws(Refusal) {
        let range = amountRange(currency)
        guard range.contains(amountMinor) else {
            throw Refusal.invalid(
                .invalidAmount,
                "amountMinor must be between \(MoneyText.withCode(range.lowerBound, currency)) and \(MoneyText.withCode(range.upperBound, currency)) (\(range.lowerBound) to \(range.upperBound) minor units), not \(amountMinor)."
            )
        }
    }
}

/// What a tenant's recent recharges say about starting another one.
public struct RechargeHistory: Hashable, Sendable {
    public let inFlight: Bool
    public let lastFailureAt: Instant?
    /// Recharges started within `RechargePolicy.burstWindowSeconds` before now.
    public let recentStarts: Int
    /// What recharges started this calendar month (UTC) added or are adding: those that
    /// succeeded and the one in flight.
    public let rechargedThisMonthMinor: Int64

    public init(inFlight: Bool, lastFailureAt: Instant?, recentStarts: Int, rechargedThisMonthMinor: Int64 = 0) {
        self.inFlight = inFlight
        self.lastFailureAt = lastFailureAt
        self.recentStarts = recentStarts
        self.rechargedThisMonthMinor = rechargedThisMonthMinor
    }
}

/// Whether a charge that left the balance at `balanceMinor` starts a recharge (`DOMAIN.md` section 4).
public enum RechargePolicy {
    /// Our rule: after a failed recharge, none is tried for an hour.
    public static let backOffSeconds: Int64 = 3600
    /// Our rule: more than 3 recharges in 10 minutes is a burst, stopped and alerted.
    public static let burstWindowSeconds: Int64 = 600
    public static let burstLimit = 3

    public enum Decision: Hashable, Sendable {
        case start(amountMinor: Int64)
        case notNeeded
        case alreadyInFlight
        case backingOff(until: Instant)
        case burstStopped
        /// Another recharge would take this month's past the tenant's monthly cap: paused until
        /// the first of next month (UTC) or until the cap is raised.
        case capReached(capMinor: Int64)
    }

    /// What a judgement decided, with the recharge it recorded (started, or stopped for a burst).
    public struct Judgement: Hashable, Sendable {
        public let decision: Decision
        public let recharge: RechargeRecord?

        public init(decision: Decision, recharge: RechargeRecord?) {
            self.decision = decision
            self.recharge = recharge
        }
    }

    public static func decide(
        settings: AutoRechargeSettings,
        balanceMinor: Int64,
        history: RechargeHistory,
        monthlyCapMinor: Int64? = nil,
        at now: Instant
    ) -> Decision {
        guard settings.wantsRecharge(atBalance: balanceMinor) else { return .notNeeded }
        if history.inFlight { return .alreadyInFlight }
        if let failed = history.lastFailureAt, now < failed.adding(seconds: backOffSeconds) {
            return .backingOff(until: failed.adding(seconds: backOffSeconds))
        }
        if history.recentStarts >= burstLimit { return .burstStopped }
        if let cap = monthlyCapMinor, capReached(cap, rechargedMinor: history.rechargedThisMonthMinor, nextMinor: settings.rechargeAmountMinor) {
            return .capReached(capMinor: cap)
        }
        return .start(amountMinor: settings.rechargeAmountMinor)
    }

    /// Whether a recharge of `nextMinor` would take this month's `rechargedMinor` past `cap`.
    public static func capReached(_ capMinor: Int64, rechargedMinor: Int64, nextMinor: Int64) -> Bool {
        rechargedMinor > capMinor - nextMinor
    }
}

/// Whether a post-usage tenant is billed after use yet (`DOMAIN.md` section 8): only once its
/// balance is used up and auto-recharge is off; the reason says plainly what holds it back.
public struct PostUsageStatus: Hashable, Sendable {
    public enum Reason: String, Hashable, Sendable {
        /// A classic tenant: credits are prepaid, nothing is billed after use.
        case notPostUsageTenant
        /// The NCE/MCA tenant left auto-recharge on: the balance refills and post-usage never starts.
        case autoRechargeOn
        /// What is left of the balance is used first.
        case balanceRemaining

        public var detail: String {
            switch self {
            case .notPostUsageTenant: "This tenant prepays its minutes with Communications Credits; nothing is billed after use."
            case .autoRechargeOn:
                "Auto-recharge is still on: the balance will refill itself and post-usage billing will not start. Turn auto-recharge off."
            case .balanceRemaining: "The remaining Communications Credits balance is used first; post-usage billing starts when it is used up."
            }
        }
    }

    public let active: Bool
    /// Why post-usage billing is not active; nil when it is.
    public let reason: Reason?

    /// A tenant that prepays its calls (classic commerce).
    public static let prepaid = PostUsageStatus(
        commerceModel: .classic,
        balanceMinor: 0,
        autoRecharge: AutoRechargeSettings(unchecked: false, rechargeAmountMinor: 0, triggerAmountMinor: 0)
    )

    /// What a balance that is used up means for the tenant's calls, and what to do about it: the
    /// admin center and the email say the same. An NCE or MCA tenant with auto-recharge off goes
    /// on calling, billed after use; it may not buy credits, and auto-recharge would stop it.
    public var usedUpBalance: (consequence: String, whatToDo: String) {
        switch reason {
        case nil:
            (
                "Calls go on: as an NCE or MCA customer, calls that credits paid for are now billed after use (post-usage billing), on the monthly invoice.",
                "Nothing, to go on with post-usage billing: keep auto-recharge off."
            )
        case .autoRechargeOn:
            (
                "Calls that Communications Credits pay for are refused until auto-recharge refills the balance.",
                "As an NCE or MCA customer, turn auto-recharge off under Billing settings: calls then go on and are billed after use."
            )
        case .notPostUsageTenant, .balanceRemaining:
            (
                "Calls that Communications Credits pay for are refused until funds are added.",
                "Buy credits under Billing > Purchase services, or turn on auto-recharge so the balance refills itself."
            )
        }
    }

    public init(commerceModel: CommerceModel, balanceMinor: Int64, autoRecharge: AutoRechargeSettings) {
        switch (commerceModel.isPostUsage, autoRecharge.enabled, balanceMinor > 0) {
        case (false, _, _): (active, reason) = (false, .notPostUsageTenant)
        case (true, true, _): (active, reason) = (false, .autoRechargeOn)
        case (true, false, true): (active, reason) = (false, .balanceRemaining)
        case (true, false, false): (active, reason) = (true, nil)
        }
    }
}
