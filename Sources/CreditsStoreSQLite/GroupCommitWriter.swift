import CreditsStore
import GRDB

/// Runs writes that arrive while a commit is being synced together, in the next transaction:
/// one disk sync then serves every waiting caller (group commit). Each write runs in its own
/// savepoint, in arrival order, and sees what the earlier ones wrote; one that throws is rolled
/// back alone. Writes submitted under one batch key (a tenant's calls) run as one batch, in
/// their order, in one savepoint: they share the reading and the writing of what they touch.
/// Every caller is answered only after the commit that made its write durable.
actor GroupCommitWriter {
    private struct Job: Sendable {
        let batchKey: String?
        let input: any Sendable
        /// The work of the job's batch, given the inputs of every job in it; one result each.
        let work: @Sendable (Database, [any Sendable]) throws -> [Result<any Sendable, any Error>]
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let database: DatabasePool
    private var waiting: [Job] = []
    private var committing = false
    private let afterFailure: @Sendable () -> Void

    init(database: DatabasePool, afterFailure: @escaping @Sendable () -> Void = {}) {
        self.database = database
        self.afterFailure = afterFailure
    }

    func submit<Value: Sendable>(_ work: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        try await enqueue(batchKey: nil, input: ()) { db, _ in [.success(try work(db))] } as! Value
    }

    /// Inputs submitted under `key` that wait for the same commit are given to one call of
    /// `work`, in arrival order; it returns one result per input. A failure of one input must
    /// have written nothing; a thrown error rolls back the whole batch and fails each input.
    func submit<Input: Sendable, Value: Sendable>(
        batching key: String,
        _ input: Input,
        _ work: @escaping @Sendable (Database, [Input]) throws -> [Result<Value, any Error>]
    )
        async throws -> Value
    {
        try await enqueue(batchKey: key, input: input) { db, inputs in
            try work(db, inputs.map { $0 as! Input }).map { $0.map { $0 as any Sendable } }
        } as! Value
    }

    private func enqueue(
        batchKey: String?,
        input: any Sendable,
        _ work: @escaping @Sendable (Database, [any Sendable]) throws -> [Result<any Sendable, any Error>]
    ) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Job(batchKey: batchKey, input: input, work: work, continuation: continuation))
            if !committing {
                committing = true
                Task { await commitWaiting() }
            }
        }
    }

    private func commitWaiting() async {
        while !waiting.isEmpty {
            let jobs = waiting
            let batches = WriteBatches.grouping(jobs, by: \.batchKey).map { $0.map { jobs[$0] } }
            waiting.removeAll()
            do {
                let outcomes = try await database.write { db in try batches.map { try Self.run($0, db) } }
                for (batch, results) in zip(batches, outcomes) {
                    for (job, result) in zip(batch, results) { job.continuation.resume(with: result) }
                }
            } catch {
                // The transaction rolled back: nothing of any job was written.
                afterFailure()
                for job in batches.joined() { job.continuation.resume(throwing: error) }
            }
        }
        committing = false
    }

    /// One batch in a savepoint of its own, through cached statements (GRDB's `inSavepoint`
    /// prepares its statements on every call, which shows at thousands of writes a second).
    /// Only a savepoint that cannot be rolled back fails the whole transaction.
    private static func run(_ batch: [Job], _ db: Database) throws -> [Result<any Sendable, any Error>] {
        try db.cachedStatement(sql: "SAVEPOINT job").execute()
        do {
            let results = try batch[0].work(db, batch.map(\.input))
            precondition(results.count == batch.count, "a batch answers each of its jobs")
            try db.cachedStatement(sql: "RELEASE SAVEPOINT job").execute()
            return results
        } catch {
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT job").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT job").execute()
            return batch.map { _ in .failure(error) }
        }
    }
}
