public import CreditsCore
import Synchronization

/// Tenants' call states kept in memory between transactions, least recently used first out,
/// within a count and a byte bound. An entry is good only for the version of the tenant's rows
/// it was read or written at: the store compares it with the stored version inside each
/// writing transaction, and loads the tenant again when another writer moved it on.
public final class TenantCallsCache: Sendable {
    public struct Limits: Hashable, Sendable {
        /// Tenants kept at most; 0 keeps none (every transaction loads its tenant).
        public var tenants: Int
        public var bytes: Int

        public init(tenants: Int = 10_000, bytes: Int = 256 << 20) {
            precondition(tenants >= 0 && bytes >= 0, "cache limits are not negative")
            self.tenants = tenants
            self.bytes = bytes
        }
    }

    private struct Entry {
        var version: Int64
        var calls: TenantCalls
        var bytes: Int
        var lastUse: UInt64
    }

    private struct Contents {
        var entries: [TenantId: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    public let limits: Limits
    private let contents = Mutex(Contents())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Takes out the kept state of a tenant when it was kept at `version`; nil otherwise. The
    /// caller keeps it again once written: meanwhile it is the only copy, changed in place, and
    /// a transaction that fails leaves nothing stale behind.
    public func take(_ tenantId: TenantId, at version: Int64) -> TenantCalls? {
        contents.withLock { contents in
            guard let entry = contents.entries.removeValue(forKey: tenantId) else {
                contents.misses += 1
                return nil
            }
            contents.bytes -= entry.bytes
            guard entry.version == version else {
                contents.misses += 1
                return nil
            }
            contents.hits += 1
            return entry.calls
        }
    }

    /// Keeps `calls` as of `version`, then drops the least recently used tenants beyond the limits.
    public func keep(_ calls: TenantCalls, for tenantId: TenantId, at version: Int64) {
        let bytes = calls.approximateBytes
        // A state larger than the whole bound (a session with a great many requests) is loaded each time instead.
        guard limits.tenants > 0, bytes <= limits.bytes else { return }
        contents.withLock { contents in
            contents.clock += 1
            if let old = contents.entries[tenantId] { contents.bytes -= old.bytes }
            contents.entries[tenantId] = Entry(version: version, calls: calls, bytes: bytes, lastUse: contents.clock)
            contents.bytes += bytes
            guard contents.entries.count > limits.tenants || contents.bytes > limits.bytes else { return }
            // Evict down to nine tenths of the bound at once, so that a full cache is not sorted on every keep.
            let targetCount = limits.tenants * 9 / 10
            let targetBytes = limits.bytes / 10 * 9
            for (tenant, entry) in contents.entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
                guard contents.entries.count > targetCount || contents.bytes > targetBytes else { break }
                guard tenant != tenantId else { continue }
                contents.entries[tenant] = nil
                contents.bytes -= entry.bytes
            }
        }
    }

    public func forget(_ tenantId: TenantId) {
        contents.withLock { contents in
            if let entry = contents.entries.removeValue(forKey: tenantId) { contents.bytes -= entry.bytes }
        }
    }

    /// Drops everything: a transaction whose states were kept did not commit.
    public func forgetAll() {
        contents.withLock { contents in
            contents.entries.removeAll()
            contents.bytes = 0
        }
    }

    public struct Figures: Hashable, Sendable {
        public let tenants: Int
        public let bytes: Int
        public let hits: Int
        public let misses: Int

        public init(tenants: Int, bytes: Int, hits: Int, misses: Int) {
            self.tenants = tenants
            self.bytes = bytes
            self.hits = hits
            self.misses = misses
        }
    }

    public var figures: Figures {
        contents.withLock { Figures(tenants: $0.entries.count, bytes: $0.bytes, hits: $0.hits, misses: $0.misses) }
    }
}
