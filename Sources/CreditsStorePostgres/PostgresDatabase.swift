import CreditsCore
import Foundation
public import Logging
import PostgresNIO
import Synchronization

/// One PostgreSQL database that every Postgres store shares: a `PostgresClient` (a pool of
/// connections) running from opening to `close()`, and the transaction every write runs in.
public final class PostgresDatabase: Sendable {
    /// Every lease of a connection, which fails once the database is abandoned.
    let connections: Connections
    let logger: Logger
    /// Where writes to a tenant's money go: see `TenantCommits`.
    let tenantCommits: TenantCommits
    private let running: Task<Void, Never>

    /// Connects and brings the schema up to date (`migrate`).
    public init(_ address: PostgresAddress, logger: Logger = Logger(label: "commscredits.postgres")) async throws {
        var configuration = PostgresClient.Configuration(
            host: address.host,
            port: address.port,
            username: address.user,
            password: address.password,
            database: address.database,
            tls: .disable
        )
        configuration.options.maximumConnections = address.maximumConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        connections = Connections(client: client)
        self.logger = logger
        tenantCommits = TenantCommits(connections: connections, logger: logger)
        running = Task { await client.run() }
        do {
            try await migrate()
        } catch {
            running.cancel()
            throw error
        }
    }

    deinit {
        running.cancel()
    }

    /// Closes every connection; the stores cannot be used after.
    public func close() async {
        running.cancel()
        await running.value
    }

    /// Creates the empty database `name` (lower-case letters, digits and `_`) on the server of
    /// `server`, whose user may create databases; returns its address. Without `durable`,
    /// commits need not wait for the disk (tests and simulations, which check rules, not disks).
    public static func create(_ name: String, on server: PostgresAddress, durable: Bool = true) async throws -> PostgresAddress {
        let name = try safeName(name)
        try await onServer(server) { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            if !durable {
                try await connection.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) SET synchronous_commit = off"), logger: logger)
            }
        }
        var address = server
        address.database = name
        return address
    }

    /// Drops the database `name` on the server of `server`, ending its connections.
    public static func drop(_ name: String, on server: PostgresAddress) async throws {
        try await onServer(server) { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(try safeName(name)) WITH (FORCE)"), logger: logger)
        }
    }

    private static func onServer(_ server: PostgresAddress, _ body: (PostgresConnection, Logger) async throws -> Void) async throws {
        let logger = Logger(label: "commscredits.postgres")
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: server.host,
                port: server.port,
                username: server.user,
                password: server.password,
                database: server.database,
                tls: .disable
            ),
            id: 1,
            logger: logger
        )
        do {
            try await body(connection, logger)
        } catch {
            try? await connection.close()
            throw (error as? PSQLError).map(PostgresFailure.init) ?? error
        }
        try await connection.close()
    }

    private static func safeName(_ name: String) throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
            throw DatabaseNameError(name: name)
        }
        return name
    }

    struct DatabaseNameError: Error, CustomStringConvertible {
        let name: String
        var description: String { "a database name is lower-case letters, digits and _, not '\(name)'" }
    }

    /// Stops serving at once, as a process that dies: no connection is lent afterwards, so
    /// nothing asked afterwards reaches the database (the simulation's crashes); `close()` then
    /// closes the connections, with the work locks they held. The connections are not torn
    /// from under the work that holds them here: a connection the pool force-closes while it is
    /// lent can leave that work waiting for ever (seen as a hung simulation on PostgreSQL);
    /// instead that work fails at its next lease and gives its connection back.
    public func abandon() {
        connections.abandon()
    }

    /// Leases connections from the client until abandoned.
    final class Connections: Sendable {
        private let client: PostgresClient
        private let abandoned = Atomic<Bool>(false)

        init(client: PostgresClient) {
            self.client = client
        }

        var isAbandoned: Bool { abandoned.load(ordering: .sequentiallyConsistent) }

        func abandon() {
            abandoned.store(true, ordering: .sequentiallyConsistent)
        }

        func withConnection<Result>(
            isolation: isolated (any Actor)? = #isolation,
            _ closure: (PostgresConnection) async throws -> sending Result
        )
            async throws -> sending Result
        {
            guard !isAbandoned else { throw Abandoned() }
            return try await client.withConnection(closure)
        }

        struct Abandoned: Error, CustomStringConvertible {
            var description: String { "the PostgreSQL connections were abandoned" }
        }
    }

    /// Applies the migrations not yet applied, each in its own transaction; an instance starting
    /// at the same time waits for the lock and finds them applied.
    func migrate() async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migration (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                logger: logger
            )
            let applied = try await Set(
                connection.query("SELECT name FROM schema_migration", logger: logger).collect().map { try $0.decode(String.self) }
            )
            for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                // One statement at a time: a prepared statement holds only one.
                for statement in migration.sql.split(separator: ";\n") where !statement.allSatisfy(\.isWhitespace) {
                    try await connection.query(PostgresQuery(unsafeSQL: String(statement)), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migration (name, applied_at) VALUES (\(migration.name), \(Int64(Date().timeIntervalSince1970 * 1000)))",
                    logger: logger
                )
            }
        }
    }

    private static let migrationLock: Int64 = 0x636f_6d6d_7300_0001

    /// Runs `body` in one transaction on one connection, committed when it returns and rolled back
    /// when it throws. A transaction that lost a deadlock or a serialization conflict is run again.
    @discardableResult
    func transaction<Value>(_ body: (PostgresConnection) async throws -> sending Value) async throws -> sending Value {
        var attempt = 1
        while true {
            do {
                return try await connections.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    do {
                        let value = try await body(connection)
                        try await connection.query("COMMIT", logger: logger)
                        return value
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            } catch let error as PSQLError where Self.isWorthRetrying(error) && attempt < 5 {
                attempt += 1
            } catch let error as PSQLError {
                throw PostgresFailure(error)
            }
        }
    }

    /// Runs `body` on one connection outside any transaction: each statement sees what was
    /// committed when it started.
    func read<Value>(_ body: (PostgresConnection) async throws -> sending Value) async throws -> sending Value {
        do {
            return try await connections.withConnection { connection in try await body(connection) }
        } catch let error as PSQLError {
            throw PostgresFailure(error)
        }
    }

    static func isWorthRetrying(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }
}

/// What PostgreSQL said, for the log: `PSQLError` hides it, lest bound values leak; its
/// message and code name no values.
public struct PostgresFailure: Error, CustomStringConvertible {
    public let description: String

    init(_ error: PSQLError) {
        if let info = error.serverInfo {
            description = "PostgreSQL refused: \(info[.message] ?? "?") (SQLSTATE \(info[.sqlState] ?? "?"))"
        } else {
            description = "PostgreSQL could not be reached or answered unexpectedly: \(error.code)"
        }
    }
}

extension PostgresConnection {
    /// Every row of a query, decoded.
    func rows<each Column: PostgresDecodable>(
        _ query: PostgresQuery,
        as type: (repeat each Column).Type,
        logger: Logger
    ) async throws
        -> [(repeat each Column)]
    {
        var decoded: [(repeat each Column)] = []
        for try await row in try await self.query(query, logger: logger) {
            decoded.append(try row.decode(type))
        }
        return decoded
    }

    /// The first row of a query, decoded; nil when there is none.
    func row<each Column: PostgresDecodable>(
        _ query: PostgresQuery,
        as type: (repeat each Column).Type,
        logger: Logger
    ) async throws
        -> (repeat each Column)?
    {
        for try await row in try await self.query(query, logger: logger) {
            return try row.decode(type)
        }
        return nil
    }

    /// Runs a statement; returns how many rows it returned (with `RETURNING`, how many it changed).
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        var count = 0
        for try await _ in try await self.query(query, logger: logger) { count += 1 }
        return count
    }
}
