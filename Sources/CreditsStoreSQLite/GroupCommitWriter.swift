import GRDB

/// Runs writes that arrive while a commit is being synced together, in the next transaction:
/// one disk sync then serves every waiting caller (group commit). Each write runs in its own
/// savepoint, in arrival order, and sees what the earlier ones wrote; one that throws is rolled
/// back alone. Every caller is answered only after the commit that made its write durable.
actor GroupCommitWriter {
    private struct Job: Sendable {
        let work: @Sendable (Database) throws -> any Sendable
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
        let value = try await withCheckedThrowingContinuation { continuation in
            waiting.append(Job(work: { try work($0) }, continuation: continuation))
            if !committing {
                committing = true
                Task { await commitWaiting() }
            }
        }
        return value as! Value
    }

    private func commitWaiting() async {
        while !waiting.isEmpty {
            let jobs = waiting
            waiting.removeAll()
            do {
                let outcomes = try await database.write { db in
                    jobs.map { job in
                        Result { () throws -> any Sendable in
                            var value: (any Sendable)?
                            try db.inSavepoint {
                                value = try job.work(db)
                                return .commit
                            }
                            return value!
                        }
                    }
                }
                for (job, outcome) in zip(jobs, outcomes) { job.continuation.resume(with: outcome) }
            } catch {
                // The transaction rolled back: nothing of any job was written.
                afterFailure()
                for job in jobs { job.continuation.resume(throwing: error) }
            }
        }
        committing = false
    }
}
