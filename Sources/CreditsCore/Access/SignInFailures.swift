/// Our rule against guessing passwords: after 5 failed sign-ins with one name within 15
/// minutes, that name may not try again until the oldest of them is 15 minutes old. The name
/// counts whether or not it exists, so that the refusal tells nothing about it; a success
/// clears its failures.
public struct SignInFailures: Sendable {
    public static let allowed = 5
    public static let windowSeconds: Int64 = 15 * 60

    private var failures: [String: [Instant]] = [:]

    public init() {}

    /// Seconds until `name` may try again; nil when it may now.
    public func waitSeconds(for name: String, at now: Instant) -> Int64? {
        let recent = failures[Self.key(name), default: []].filter { now < $0.adding(seconds: Self.windowSeconds) }
        guard recent.count >= Self.allowed, let oldest = recent.first else { return nil }
        let milliseconds = oldest.adding(seconds: Self.windowSeconds).millisecondsSinceEpoch - now.millisecondsSinceEpoch
        return (milliseconds + 999) / 1000
    }

    public mutating func recordFailure(of name: String, at now: Instant) {
        // Failures older than the window are forgotten, so memory stays bounded by the recent ones.
        failures = failures.compactMapValues { times in
            let recent = times.filter { now < $0.adding(seconds: Self.windowSeconds) }
            return recent.isEmpty ? nil : recent
        }
        failures[Self.key(name), default: []].append(now)
    }

    public mutating func recordSuccess(of name: String) {
        failures[Self.key(name)] = nil
    }

    /// Names are told apart as sign-in names are: without surrounding spaces, in lower case.
    private static func key(_ name: String) -> String {
        name.trimmingWhitespace.lowercased()
    }
}
