/// Work that one instance at a time may do when several serve one database: the scheduled
/// round, the recharges in flight. A lock is released when its work ends, or when the instance
/// holding it dies.
public protocol WorkLocks: Sendable {
    /// Runs `body` holding the lock `name`, waiting for it first.
    func withLock<Value: Sendable>(_ name: String, _ body: @Sendable () async throws -> Value) async throws -> Value
    /// Runs `body` holding the lock `name` when nobody holds it; returns nil at once otherwise.
    func ifFree<Value: Sendable>(_ name: String, _ body: @Sendable () async throws -> Value) async throws -> Value?
}

/// Locks within one process: enough where one process owns the database, as with SQLite.
public actor LocalWorkLocks: WorkLocks {
    private var held: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    public init() {}

    public func withLock<Value: Sendable>(_ name: String, _ body: @Sendable () async throws -> Value) async throws -> Value {
        while held.contains(name) {
            await withCheckedContinuation { waiting[name, default: []].append($0) }
        }
        held.insert(name)
        defer { release(name) }
        return try await body()
    }

    public func ifFree<Value: Sendable>(_ name: String, _ body: @Sendable () async throws -> Value) async throws -> Value? {
        guard !held.contains(name) else { return nil }
        held.insert(name)
        defer { release(name) }
        return try await body()
    }

    private func release(_ name: String) {
        held.remove(name)
        for waiter in waiting.removeValue(forKey: name) ?? [] { waiter.resume() }
    }
}
