public import CreditsCore
import Metrics
import Synchronization

/// Bounds the call and usage requests in progress (waiting for the writer or being written),
/// per tenant and in all: past either bound a request is refused at once with `overloaded`
/// (HTTP 503 and `Retry-After`), so that a burst costs a bounded amount of memory and the
/// requests admitted keep their latency.
public final class CallAdmission: Sendable {
    public struct Limits: Hashable, Sendable {
        public var inProgress: Int
        public var inProgressPerTenant: Int

        public init(inProgress: Int = 4_096, inProgressPerTenant: Int = 1_024) {
            precondition(inProgress > 0 && inProgressPerTenant > 0, "admission limits are positive")
            self.inProgress = inProgress
            self.inProgressPerTenant = inProgressPerTenant
        }
    }

    private struct Counts {
        var total = 0
        var byTenant: [TenantId: Int] = [:]
    }

    public let limits: Limits
    private let counts = Mutex(Counts())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Runs `work` once admitted; its time in progress (waiting included) is a metric.
    public func admit<Value>(_ tenantId: TenantId, step: String, _ work: () async throws -> Value) async throws -> Value {
        let admitted = counts.withLock { counts in
            let tenant = counts.byTenant[tenantId, default: 0]
            guard counts.total < limits.inProgress, tenant < limits.inProgressPerTenant else { return false }
            counts.total += 1
            counts.byTenant[tenantId] = tenant + 1
            return true
        }
        guard admitted else {
            Counter(label: "commscredits_call_requests_overloaded_total", dimensions: [("step", step)]).increment()
            throw Refusal.overloaded
        }
        defer {
            counts.withLock { counts in
                counts.total -= 1
                let left = counts.byTenant[tenantId, default: 1] - 1
                counts.byTenant[tenantId] = left == 0 ? nil : left
            }
        }
        let started = ContinuousClock.now
        defer {
            let (seconds, attoseconds) = (ContinuousClock.now - started).components
            Timer(label: "commscredits_call_request_seconds", dimensions: [("step", step)])
                .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
        return try await work()
    }

    /// Requests in progress now, in all.
    public var inProgress: Int { counts.withLock { $0.total } }
}

extension Refusal {
    public static let overloaded = Refusal(
        .overloaded,
        detail: "Too many call and usage requests are waiting; this one was not started.",
        remedy: "Send it again after the Retry-After interval.",
        retryAfterSeconds: 1
    )
}
