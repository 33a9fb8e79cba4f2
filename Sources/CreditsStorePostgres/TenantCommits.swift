import Logging
import PostgresNIO

/// Writes to one tenant that arrive while its previous commit is in flight run together, in
/// arrival order, each in its own savepoint, in one transaction: one commit, one disk sync and
/// one turn of the tenant's lock serve them all (group commit, as the SQLite store does for
/// everyone). A write that throws is rolled back alone; every caller is answered only after the
/// commit that made its write durable. Different tenants commit side by side.
actor TenantCommits {
    private struct Job: Sendable {
        let work: @Sendable (PostgresConnection) async throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let client: PostgresClient
    private let logger: Logger
    private var waiting: [String: [Job]] = [:]
    private var committing: Set<String> = []

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    func submit<Value: Sendable>(for tenant: String, _ work: @escaping @Sendable (PostgresConnection) async throws -> Value) async throws -> Value {
        let value = try await withCheckedThrowingContinuation { continuation in
            waiting[tenant, default: []].append(Job(work: { try await work($0) }, continuation: continuation))
            if committing.insert(tenant).inserted {
                Task { await commitWaiting(for: tenant) }
            }
        }
        return value as! Value
    }

    private func commitWaiting(for tenant: String) async {
        while let jobs = waiting.removeValue(forKey: tenant) {
            let outcomes: [Result<any Sendable, any Error>]
            do {
                outcomes = try await client.withConnection { c in try await Self.run(jobs, on: c, logger) }
            } catch let error as PSQLError {
                outcomes = jobs.map { _ in .failure(PostgresFailure(error)) }
            } catch {
                outcomes = jobs.map { _ in .failure(error) }
            }
            for (job, outcome) in zip(jobs, outcomes) { job.continuation.resume(with: outcome) }
        }
        committing.remove(tenant)
    }

    private static func run(_ jobs: [Job], on c: PostgresConnection, _ logger: Logger) async throws -> [Result<any Sendable, any Error>] {
        try await c.query("BEGIN", logger: logger)
        do {
            var outcomes: [Result<any Sendable, any Error>] = []
            for job in jobs {
                try await c.query("SAVEPOINT job", logger: logger)
                do {
                    let value = try await job.work(c)
                    try await c.query("RELEASE SAVEPOINT job", logger: logger)
                    outcomes.append(.success(value))
                } catch {
                    try await c.query("ROLLBACK TO SAVEPOINT job", logger: logger)
                    outcomes.append(.failure((error as? PSQLError).map(PostgresFailure.init) ?? error))
                }
            }
            try await c.query("COMMIT", logger: logger)
            return outcomes
        } catch {
            // Nothing of any job was written.
            _ = try? await c.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
