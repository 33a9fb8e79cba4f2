/// Which balance and pool movements are worth telling administrators about (`DOMAIN.md`
/// section 9): each is a crossing, so a balance that stays at zero is notified once, when it
/// got there.
public enum CreditAlerts {
    /// Events for a ledger write: `openingBalanceMinor` is the balance before the first of
    /// `transactions`, each of which carries the balance after it.
    public static func balanceEvents(
        openingBalanceMinor: Int64,
        transactions: [LedgerReceipt],
        autoRecharge: AutoRechargeSettings
    ) -> [CreditEvent] {
        var events: [CreditEvent] = []
        var before = openingBalanceMinor
        for receipt in transactions {
            let after = receipt.balanceAfterMinor
            if before > 0, after <= 0 {
                events.append(.balanceExhausted(transactionId: receipt.transactionId))
            }
            let trigger = autoRecharge.triggerAmountMinor
            if !autoRecharge.enabled, trigger > 0, before >= trigger, after < trigger, after > 0 {
                events.append(.balanceBelowTrigger(transactionId: receipt.transactionId, triggerMinor: trigger))
            }
            before = after
        }
        return events
    }

    /// Our rule: the conferencing pool is reported when its use reaches 80 % and 100 %.
    public static let poolPercentages: [Int64] = [80, 100]

    /// The percentages of `capacity` that the pool's use passed going from `before` to `after`.
    public static func poolPercentagesReached(capacity: Int64, before: Int64, after: Int64) -> [Int64] {
        guard capacity > 0, after > before else { return [] }
        return poolPercentages.filter { percent in
            let threshold = capacity * percent
            return before * 100 < threshold && after * 100 >= threshold
        }
    }

    /// Our rule: lots are reported 30 and then 7 days before they expire.
    public static let expiryNoticeDays: [Int64] = [30, 7]

    /// The notice due for a lot with funds left, if any: the nearest of `expiryNoticeDays`
    /// whose window the lot is in (a lot already within 7 days gets only the 7-day notice).
    public static func expiryNoticeDays(expiresAt: Instant, at now: Instant) -> Int64? {
        guard now < expiresAt else { return nil }
        return expiryNoticeDays.sorted().first { now.adding(days: $0) >= expiresAt }
    }
}

/// Who hears about a tenant's credits: every user holding one of the twenty roles, by the
/// address their user name is (`DOMAIN.md` section 9).
public enum NotificationRecipients {
    public static func emailAddresses(of users: [User]) -> [String] {
        Array(Set(users.filter { !$0.roles.isEmpty }.map(\.upn.rawValue))).sorted()
    }
}

/// How the outbox retries a delivery: back-off doubling from 30 seconds to at most an hour,
/// and a final failure after `maximumAttempts`.
public enum DeliveryPolicy {
    public static let maximumAttempts: Int64 = 10
    public static let firstBackOffSeconds: Int64 = 30
    public static let longestBackOffSeconds: Int64 = 3600
    /// How long a delivery being sent is kept from others; a sender that died gives it up then.
    public static let leaseSeconds: Int64 = 120

    /// When to try again after `attempts` failed, or nil when that was the last.
    public static func retryAt(after attempts: Int64, failedAt now: Instant) -> Instant? {
        guard attempts < maximumAttempts else { return nil }
        let doublings = min(max(attempts - 1, 0), 20)
        return now.adding(seconds: min(firstBackOffSeconds << doublings, longestBackOffSeconds))
    }
}
