import CreditsStore
import Logging
import PostgresNIO

/// Writes to one tenant that arrive while its previous commit is in flight run together, in
/// arrival order, each in its own savepoint, in one transaction: one commit, one disk sync and
/// one turn of the tenant's lock serve them all (group commit, as the SQLite store does for
/// everyone). A write that throws is rolled back alone; writes submitted under one batch key
/// (the tenant's calls) run as one batch in one savepoint, sharing their reads and writes. Every
/// caller is answered only after the commit that made its write durable. Different tenants
/// commit side by side.
actor TenantCommits {
    private struct Job: Sendable {
        let batchKey: String?
        let input: any Sendable
        /// The work of the job's batch, given the inputs of every job in it; one result each.
        let work: @Sendable (PostgresSession, [any Sendable]) async throws -> [Result<any Sendable, any Error>]
        /// Told when the job's writes were rolled back.
        let rolledBack: (@Sendable () -> Void)?
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let connections: PostgresDatabase.Connections
    private let logger: Logger
    private var waiting: [String: [Job]] = [:]
    private var committing: Set<String> = []

    init(connections: PostgresDatabase.Connections, logger: Logger) {
        self.connections = connections
        self.logger = logger
    }

    func submit<Value: Sendable>(for tenant: String, _ work: @escaping @Sendable (PostgresSession) async throws -> Value) async throws -> Value {
        try await enqueue(for: tenant, batchKey: nil, input: (), rolledBack: nil) { c, _ in [.success(try await work(c))] } as! Value
    }

    /// Inputs submitted for `tenant` under `key` that wait for the same commit are given to one
    /// call of `work`, in arrival order; it returns one result per input. A failure of one input
    /// must have written nothing; a thrown error rolls back the whole batch and fails each input.
    /// `rolledBack` is told when the batch's writes were rolled back (its own failure, or the
    /// transaction's), before it may run again.
    func submit<Input: Sendable, Value: Sendable>(
        for tenant: String,
        batching key: String,
        _ input: Input,
        rolledBack: (@Sendable () -> Void)? = nil,
        _ work: @escaping @Sendable (PostgresSession, [Input]) async throws -> [Result<Value, any Error>]
    )
        async throws -> Value
    {
        try await enqueue(for: tenant, batchKey: key, input: input, rolledBack: rolledBack) { c, inputs in
            try await work(c, inputs.map { $0 as! Input }).map { $0.map { $0 as any Sendable } }
        } as! Value
    }

    private func enqueue(
        for tenant: String,
        batchKey: String?,
        input: any Sendable,
        rolledBack: (@Sendable () -> Void)?,
        _ work: @escaping @Sendable (PostgresSession, [any Sendable]) async throws -> [Result<any Sendable, any Error>]
    )
        async throws -> any Sendable
    {
        try await withCheckedThrowingContinuation { continuation in
            waiting[tenant, default: []].append(Job(batchKey: batchKey, input: input, work: work, rolledBack: rolledBack, continuation: continuation))
            if committing.insert(tenant).inserted {
                Task { await commitWaiting(for: tenant) }
            }
        }
    }

    private func commitWaiting(for tenant: String) async {
        while let jobs = waiting.removeValue(forKey: tenant) {
            var outcomes: [Result<any Sendable, any Error>]?
            var attempt = 1
            while outcomes == nil {
                do {
                    outcomes = try await connections.withSession { c in try await Self.run(jobs, on: c) }
                } catch {
                    for job in jobs { job.rolledBack?() }
                    // A transaction that lost a deadlock or a serialization conflict wrote nothing, and is run again.
                    if let error = error as? PSQLError, PostgresDatabase.isWorthRetrying(error), attempt < 5 {
                        attempt += 1
                        continue
                    }
                    let failure = (error as? PSQLError).map(PostgresFailure.init) ?? error
                    outcomes = jobs.map { _ in .failure(failure) }
                }
            }
            for (job, outcome) in zip(jobs, outcomes!) { job.continuation.resume(with: outcome) }
        }
        committing.remove(tenant)
    }

    private static func run(_ jobs: [Job], on c: PostgresSession) async throws -> [Result<any Sendable, any Error>] {
        let batches = WriteBatches.grouping(jobs, by: \.batchKey)
        // A batch alone in its transaction needs no savepoint: the transaction is its own (two round trips fewer).
        let alone = batches.count == 1
        do {
            return try await c.transaction {
                var outcomes = [Result<any Sendable, any Error>?](repeating: nil, count: jobs.count)
                for batch in batches {
                    if !alone { try await c.run("SAVEPOINT job") }
                    do {
                        let results = try await jobs[batch[0]].work(c, batch.map { jobs[$0].input })
                        precondition(results.count == batch.count, "a batch answers each of its jobs")
                        if !alone { try await c.run("RELEASE SAVEPOINT job") }
                        for (index, result) in zip(batch, results) {
                            outcomes[index] = result.mapError { ($0 as? PSQLError).map(PostgresFailure.init) ?? $0 }
                        }
                    } catch {
                        // A lost deadlock rolls the whole transaction back, to be run again.
                        if let error = error as? PSQLError, PostgresDatabase.isWorthRetrying(error) { throw error }
                        let failure = (error as? PSQLError).map(PostgresFailure.init) ?? error
                        // Alone, the batch's failure is the transaction's: it is rolled back whole.
                        if alone { throw BatchFailed(failure: failure) }
                        try await c.run("ROLLBACK TO SAVEPOINT job")
                        jobs[batch[0]].rolledBack?()
                        for index in batch { outcomes[index] = .failure(failure) }
                    }
                }
                return outcomes.map { $0! }
            }
        } catch let failed as BatchFailed {
            jobs[batches[0][0]].rolledBack?()
            return jobs.map { _ in .failure(failed.failure) }
        }
    }

    /// The failure of the only batch of a transaction, which rolls it back.
    private struct BatchFailed: Error {
        let failure: any Error
    }
}
