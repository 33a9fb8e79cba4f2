import CreditsCore
import GRDB

/// Applies requests that arrive while a commit is being synced together, in the next
/// transaction: one disk sync then serves every waiting caller (group commit). Each caller's
/// requests are applied and written in arrival order, and each caller is answered only after
/// the commit that made its requests durable.
actor GroupCommitWriter {
    typealias Results = [Result<LedgerReceipt, LedgerError>]

    private struct Job: Sendable {
        let tenantId: TenantId
        let requests: [LedgerRequest]
        let now: Instant
        let continuation: CheckedContinuation<Results, any Error>
    }

    private let database: DatabasePool
    private var waiting: [Job] = []
    private var committing = false

    init(database: DatabasePool) {
        self.database = database
    }

    func submit(_ requests: [LedgerRequest], for tenantId: TenantId, at now: Instant) async throws -> Results {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Job(tenantId: tenantId, requests: requests, now: now, continuation: continuation))
            if !committing {
                committing = true
                Task { await commitWaiting() }
            }
        }
    }

    private func commitWaiting() async {
        while !waiting.isEmpty {
            let jobs = waiting
            waiting.removeAll()
            let work = jobs.map { ($0.tenantId, $0.requests, $0.now) }
            do {
                let outcomes = try await database.write { db in try Self.apply(work, db) }
                for (job, outcome) in zip(jobs, outcomes) { job.continuation.resume(with: outcome) }
            } catch {
                // The transaction rolled back: nothing of any job was written.
                for job in jobs { job.continuation.resume(throwing: error) }
            }
        }
        committing = false
    }

    /// Each job in turn: load its account (seeing what earlier jobs wrote), apply, write.
    /// A job refused as a whole (an unknown account) writes nothing and leaves the others be.
    private static func apply(_ jobs: [(TenantId, [LedgerRequest], Instant)], _ db: Database) throws -> [Result<Results, any Error>] {
        var ids = try LedgerRows.nextIds(db)
        return try jobs.map { tenantId, requests, now in
            let holdIds = Set(requests.compactMap(\.command.holdId))
            var account: CreditAccount
            do {
                account = try LedgerRows.loadAccount(tenantId, naming: holdIds, dueBy: now, db)
            } catch let error as LedgerError {
                return .failure(error)
            }
            let recorded = try LedgerRows.recorded(requests.map(\.key), of: tenantId, db)
            let results = requests.map { request in
                account.execute(request, at: now, ids: &ids, recorded: recorded)
            }
            try LedgerRows.write(account.takeChanges(), of: account, db)
            return .success(results)
        }
    }
}
