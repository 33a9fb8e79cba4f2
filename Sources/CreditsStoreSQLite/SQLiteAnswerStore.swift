public import CreditsCore
public import CreditsStore
import Foundation
import GRDB

/// Answers kept under their idempotency keys, in the shared SQLite file.
public final class SQLiteAnswerStore: AnswerStore {
    let database: DatabasePool

    init(database: DatabasePool) {
        self.database = database
    }

    public func answer(scope: String, key: String) async throws -> StoredAnswer? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM idempotent_answer WHERE scope = ? AND key = ?", arguments: [scope, key]).map { row in
                StoredAnswer(
                    fingerprint: row["fingerprint"],
                    status: row["status"],
                    contentType: row["content_type"],
                    body: Array((row["body"] as Data?) ?? Data()),
                    keptAt: Instant(millisecondsSinceEpoch: row["created_at"])
                )
            }
        }
    }

    public func saveAnswer(_ answer: StoredAnswer, scope: String, key: String) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO idempotent_answer (scope, key, fingerprint, status, content_type, body, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    scope, key, answer.fingerprint, answer.status, answer.contentType, Data(answer.body),
                    answer.keptAt.millisecondsSinceEpoch,
                ]
            )
        }
    }

    public func purgeAnswers(keptBefore instant: Instant) async throws -> Int {
        // A read first, so that the scheduled round takes the write lock only when there is work.
        let any = try await database.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM idempotent_answer WHERE created_at < ?)",
                arguments: [instant.millisecondsSinceEpoch]
            ) ?? false
        }
        guard any else { return 0 }
        return try await database.write { db in
            try db.execute(sql: "DELETE FROM idempotent_answer WHERE created_at < ?", arguments: [instant.millisecondsSinceEpoch])
            return db.changesCount
        }
    }
}
