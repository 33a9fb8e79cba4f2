/// Our rule against guessing passwords: after 5 failed sign-ins with one name within 15
/// minutes, that name may not try again until the oldest of them is 15 minutes old; after 20
/// from one client address, that address may not. A name counts whether or not it exists, so
/// that the refusal tells nothing about it; a success clears the name's failures.
///
/// An attempt is counted when it begins, not when its password check ends: forty attempts sent
/// at once meet the limit as forty sent one after another would. The table holds at most
/// `capacity` names and addresses; past that, those whose last failure is oldest are forgotten.
public struct SignInFailures: Sendable {
    public static let allowedPerName = 5
    public static let allowedPerAddress = 20
    public static let windowSeconds: Int64 = 15 * 60

    /// An attempt that has begun: pass it back to `finish`.
    public struct Attempt: Hashable, Sendable {
        let name: String
        let address: String?
        let startedAt: Instant
    }

    private var byName: [String: [Instant]] = [:]
    private var byAddress: [String: [Instant]] = [:]
    public let capacity: Int

    public init(capacity: Int = 10_000) {
        precondition(capacity > 0, "the table holds something")
        self.capacity = capacity
    }

    /// Begins an attempt with `name` from `address`, counted as a failure until `finish` says
    /// otherwise; or, when the name or the address has used its tries, the seconds to wait.
    public mutating func begin(name: String, address: String?, at now: Instant) -> Result<Attempt, SignInThrottled> {
        let key = Self.key(name)
        let names = Self.recent(byName[key], at: now)
        let addresses = address.map { Self.recent(byAddress[$0], at: now) } ?? []
        if let wait = Self.wait(names, allowed: Self.allowedPerName, at: now) ?? Self.wait(addresses, allowed: Self.allowedPerAddress, at: now) {
            return .failure(SignInThrottled(waitSeconds: wait))
        }
        byName[key] = names + [now]
        if let address { byAddress[address] = addresses + [now] }
        Self.bound(&byName, capacity: capacity, at: now)
        Self.bound(&byAddress, capacity: capacity, at: now)
        return .success(Attempt(name: key, address: address, startedAt: now))
    }

    /// Ends an attempt: a success clears the name's failures; a failure stays counted.
    public mutating func finish(_ attempt: Attempt, succeeded: Bool) {
        guard succeeded else { return }
        byName[attempt.name] = nil
        if let address = attempt.address, var times = byAddress[address], let index = times.firstIndex(of: attempt.startedAt) {
            times.remove(at: index)
            byAddress[address] = times.isEmpty ? nil : times
        }
    }

    /// How many names and addresses the table holds now.
    public var count: Int { byName.count + byAddress.count }

    private static func recent(_ times: [Instant]?, at now: Instant) -> [Instant] {
        (times ?? []).filter { now < $0.adding(seconds: windowSeconds) }
    }

    private static func wait(_ recent: [Instant], allowed: Int, at now: Instant) -> Int64? {
        guard recent.count >= allowed, let oldest = recent.first else { return nil }
        let milliseconds = oldest.adding(seconds: windowSeconds).millisecondsSinceEpoch - now.millisecondsSinceEpoch
        return max(1, (milliseconds + 999) / 1000)
    }

    /// Past `capacity`, first forgets what is older than the window, then, if that is not
    /// enough, the half whose last failure is oldest: rare, so each attempt stays cheap.
    private static func bound(_ table: inout [String: [Instant]], capacity: Int, at now: Instant) {
        guard table.count > capacity else { return }
        table = table.compactMapValues { times in
            let kept = recent(times, at: now)
            return kept.isEmpty ? nil : kept
        }
        guard table.count > capacity else { return }
        let newestFirst = table.sorted { ($0.value.last!, $0.key) > ($1.value.last!, $1.key) }
        table = Dictionary(uniqueKeysWithValues: newestFirst.prefix(capacity / 2).map { ($0.key, $0.value) })
    }

    /// Names are told apart as sign-in names are: without surrounding spaces, in lower case.
    private static func key(_ name: String) -> String {
        name.trimmingWhitespace.lowercased()
    }
}

/// A sign-in refused before its password is checked: wait `waitSeconds`.
public struct SignInThrottled: Error, Hashable, Sendable {
    public let waitSeconds: Int64
}
