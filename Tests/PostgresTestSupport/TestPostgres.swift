public import CreditsStorePostgres
import Foundation

/// The PostgreSQL server the conformance suite runs on, when `COMMSCREDITS_TEST_POSTGRES` names
/// one (`postgres://USER@HOST:PORT/DATABASE`, a user who may create databases): each test gets
/// a database of its own, new and empty.
public enum TestPostgres {
    public static var server: PostgresAddress? {
        ProcessInfo.processInfo.environment["COMMSCREDITS_TEST_POSTGRES"].flatMap {
            PostgresAddress(url: $0, password: ProcessInfo.processInfo.environment["DATABASE_PASSWORD"])
        }
    }

    /// A new, empty database on `server`, migrated, its client running.
    public static func freshDatabase() async throws -> PostgresDatabase {
        try await PostgresDatabase.started(freshAddress())
    }

    /// The address of a new, empty database on `server`; the conformance tests keep few connections each.
    public static func freshAddress() async throws -> PostgresAddress {
        guard let server else { throw MissingServer() }
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        // The suite checks rules, not durability (the two-instance test and the benchmarks keep
        // commits synced): commits need not wait for the disk here.
        var address = try await PostgresDatabase.create(name, on: server, durable: false)
        address.maximumConnections = 4
        return address
    }

    struct MissingServer: Error, CustomStringConvertible {
        var description: String { "COMMSCREDITS_TEST_POSTGRES names no PostgreSQL server" }
    }
}

extension PostgresDatabase {
    /// The database at `address`, migrated, its client running until the test process ends: a
    /// test's stores live in fixtures, not in one scope of code, so they are not closed.
    public static func started(_ address: PostgresAddress) async throws -> PostgresDatabase {
        let database = PostgresDatabase(address)
        Task { await database.run() }
        try await database.migrate()
        return database
    }
}

extension TestPostgres {
    /// How many connections the server holds open to `database`, other than this question's own.
    public static func connections(to database: String) async throws -> Int {
        guard let server else { throw MissingServer() }
        return try await PostgresDatabase.connectionCount(to: database, on: server)
    }
}
