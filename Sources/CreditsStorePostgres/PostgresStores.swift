public import CreditsStore
import Logging
import PostgresNIO

/// Every store over one PostgreSQL database, sharing its connection pool; several instances
/// may serve the same database at once.
public struct PostgresStores: Sendable {
    public let database: PostgresDatabase
    public let ledger: PostgresLedgerStore
    public let directory: PostgresDirectoryStore
    public let billing: PostgresBillingStore
    public let calls: PostgresCallStore
    public let access: PostgresAccessStore
    public let answers: PostgresAnswerStore
    public let notifications: PostgresNotificationStore
    public let locks: PostgresWorkLocks

    public init(database: PostgresDatabase, callsCache: TenantCallsCache.Limits = TenantCallsCache.Limits()) {
        self.database = database
        ledger = PostgresLedgerStore(database: database)
        directory = PostgresDirectoryStore(database: database)
        billing = PostgresBillingStore(database: database)
        calls = PostgresCallStore(database: database, cache: TenantCallsCache(limits: callsCache))
        access = PostgresAccessStore(database: database)
        answers = PostgresAnswerStore(database: database)
        notifications = PostgresNotificationStore(database: database)
        locks = PostgresWorkLocks(database: database)
    }

    public var stores: Stores {
        Stores(
            ledger: ledger,
            directory: directory,
            billing: billing,
            calls: calls,
            access: access,
            answers: answers,
            notifications: notifications,
            locks: locks
        )
    }
}

/// Work locks as PostgreSQL advisory locks, held on a connection of their own for as long as
/// the work runs: when an instance dies, its connection closes and its locks go with it.
public struct PostgresWorkLocks: WorkLocks {
    let database: PostgresDatabase

    public func withLock<Value: Sendable>(_ name: String, _ body: @Sendable () async throws -> Value) async throws -> Value {
        try await held(name, waiting: true, body)!
    }

    public func ifFree<Value: Sendable>(_ name: String, _ body: @Sendable () async throws -> Value) async throws -> Value? {
        try await held(name, waiting: false, body)
    }

    private func held<Value: Sendable>(_ name: String, waiting: Bool, _ body: @Sendable () async throws -> Value) async throws -> Value? {
        let key = "commscredits:" + name
        return try await database.connections.withSession { c in
            if waiting {
                try await c.run("SELECT pg_advisory_lock(hashtext(\(key)))")
            } else {
                let taken = try await c.row("SELECT pg_try_advisory_lock(hashtext(\(key)))", as: Bool.self)
                guard taken == true else { return nil }
            }
            do {
                let value = try await body()
                try await c.run("SELECT pg_advisory_unlock(hashtext(\(key)))")
                return value
            } catch {
                // An abandoned connection is closing, and its locks with it.
                if !database.connections.isAbandoned { _ = try? await c.run("SELECT pg_advisory_unlock(hashtext(\(key)))") }
                throw error
            }
        }
    }
}
