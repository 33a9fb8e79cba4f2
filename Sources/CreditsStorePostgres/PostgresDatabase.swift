import CreditsCore
import Foundation
public import Logging
import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// One PostgreSQL database that every Postgres store shares: a `PostgresClient` (a pool of
/// connections), and the transaction every write runs in. The client lends connections while
/// `run()` runs: a server runs it as one of its services (closed last, at shutdown), a command
/// or a test for the time of a body (`whileRunning`).
public final class PostgresDatabase: Service {
    /// Every lease of a connection, which fails once the database is abandoned.
    let connections: Connections
    let logger: Logger
    /// Where writes to a tenant's money go: see `TenantCommits`.
    let tenantCommits: TenantCommits
    private let client: PostgresClient

    /// The database at `address`, not yet connected to: see `run()`.
    public init(_ address: PostgresAddress, logger: Logger = Logger(label: "commscredits.postgres")) {
        var configuration = PostgresClient.Configuration(
            host: address.host,
            port: address.port,
            username: address.user,
            password: address.password,
            database: address.database,
            tls: .disable
        )
        configuration.options.maximumConnections = address.maximumConnections
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        connections = Connections(client: client, logger: logger)
        self.logger = logger
        tenantCommits = TenantCommits(connections: connections, logger: logger)
    }

    /// Lends connections until cancelled or told to shut down gracefully, then closes them; the
    /// stores cannot be used after. Runs once.
    public func run() async {
        connections.start()
        await client.run()
    }

    /// Runs the client for the time of `body`, brings the schema up to date first (`migrate`),
    /// and closes the connections when `body` ends, whatever happened: how a command or another
    /// short-lived user of the data opens it.
    public func whileRunning<Value>(_ body: () async throws -> Value) async throws -> Value {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            try await migrate()
            return try await body()
        }
    }

    /// Creates the empty database `name` (lower-case letters, digits and `_`) on the server of
    /// `server`, whose user may create databases; returns its address. Without `durable`,
    /// commits need not wait for the disk (tests and simulations, which check rules, not disks).
    public static func create(_ name: String, on server: PostgresAddress, durable: Bool = true) async throws -> PostgresAddress {
        let name = try safeName(name)
        try await onServer(server) { c in
            try await c.run(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            if !durable {
                try await c.run(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) SET synchronous_commit = off"))
            }
        }
        var address = server
        address.database = name
        return address
    }

    /// Drops the database `name` on the server of `server`, ending its connections.
    public static func drop(_ name: String, on server: PostgresAddress) async throws {
        try await onServer(server) { c in
            try await c.run(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(try safeName(name)) WITH (FORCE)"))
        }
    }

    /// How many connections the server of `server` holds open to `database`, other than the
    /// one asking.
    package static func connectionCount(to database: String, on server: PostgresAddress) async throws -> Int {
        try await onServer(server) { c in
            let count = try await c.row(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = \(database) AND pid <> pg_backend_pid()",
                as: Int64.self
            )
            return Int(count ?? 0)
        }
    }

    @discardableResult
    private static func onServer<Value>(_ server: PostgresAddress, _ body: (PostgresSession) async throws -> Value) async throws -> Value {
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
        let value: Value
        do {
            value = try await body(PostgresSession(connection: connection, logger: logger))
        } catch {
            try? await connection.close()
            throw (error as? PSQLError).map(PostgresFailure.init) ?? error
        }
        try await connection.close()
        return value
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
        private let logger: Logger
        private let abandoned = Atomic<Bool>(false)
        private let started = Atomic<Bool>(false)

        init(client: PostgresClient, logger: Logger) {
            self.client = client
            self.logger = logger
        }

        var isAbandoned: Bool { abandoned.load(ordering: .sequentiallyConsistent) }

        func abandon() {
            abandoned.store(true, ordering: .sequentiallyConsistent)
        }

        func start() {
            started.store(true, ordering: .sequentiallyConsistent)
        }

        func withSession<Result>(
            isolation: isolated (any Actor)? = #isolation,
            _ closure: (PostgresSession) async throws -> sending Result
        )
            async throws -> sending Result
        {
            guard !isAbandoned else { throw Abandoned() }
            // What asks before the client runs (a service started beside it, the migrations of
            // `whileRunning`) waits for it here rather than in the pool, which warns of it.
            while !started.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(1)) }
            return try await client.withConnection { connection in try await closure(PostgresSession(connection: connection, logger: logger)) }
        }

        struct Abandoned: Error, CustomStringConvertible {
            var description: String { "the PostgreSQL connections were abandoned" }
        }
    }

    /// Applies the migrations not yet applied, each in its own transaction; an instance starting
    /// at the same time waits for the lock and finds them applied.
    public func migrate() async throws {
        try await transaction { c in
            try await c.run("SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            try await c.run("CREATE TABLE IF NOT EXISTS schema_migration (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            let applied = Set(try await c.rows("SELECT name FROM schema_migration", as: String.self).map { $0 as String })
            for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                // One statement at a time: a prepared statement holds only one.
                for statement in migration.sql.split(separator: ";\n") where !statement.allSatisfy(\.isWhitespace) {
                    try await c.run(PostgresQuery(unsafeSQL: String(statement)))
                }
                try await c.run(
                    "INSERT INTO schema_migration (name, applied_at) VALUES (\(migration.name), \(Int64(Date().timeIntervalSince1970 * 1000)))"
                )
            }
        }
    }

    private static let migrationLock: Int64 = 0x636f_6d6d_7300_0001

    /// Runs `body` in one transaction on one connection, committed when it returns and rolled back
    /// when it throws. A transaction that lost a deadlock or a serialization conflict is run again.
    @discardableResult
    func transaction<Value>(_ body: (PostgresSession) async throws -> sending Value) async throws -> sending Value {
        var attempt = 1
        while true {
            do {
                return try await connections.withSession { c in try await c.transaction { try await body(c) } }
            } catch let error as PSQLError where Self.isWorthRetrying(error) && attempt < 5 {
                attempt += 1
            } catch let error as PSQLError {
                throw PostgresFailure(error)
            }
        }
    }

    /// Runs `body` on one connection outside any transaction: each statement sees what was
    /// committed when it started.
    func read<Value>(_ body: (PostgresSession) async throws -> sending Value) async throws -> sending Value {
        do {
            return try await connections.withSession { c in try await body(c) }
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
