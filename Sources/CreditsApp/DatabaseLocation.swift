import CreditsCore
public import CreditsEngine
public import CreditsStore
public import CreditsStorePostgres
import CreditsStoreSQLite
public import Foundation

/// Where the data lives, as given by `--database`: `sqlite:PATH` (a file, created and
/// migrated on first use) or `postgres://USER@HOST:PORT/DATABASE`, whose password comes from
/// the environment: `DATABASE_PASSWORD`, or the file named by `DATABASE_PASSWORD_FILE`.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresAddress)

    /// A file in the working directory.
    public static let defaultArgument = "sqlite:commscredits.sqlite"

    public init(_ argument: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(DatabaseLocationError) {
        if argument.hasPrefix("sqlite:") {
            let path = String(argument.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw DatabaseLocationError(argument: argument) }
            self = .sqlite(path: path)
        } else if argument.hasPrefix("postgres") {
            let password: String?
            do {
                password =
                    try environment["DATABASE_PASSWORD"]
                    ?? environment["DATABASE_PASSWORD_FILE"].map {
                        try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                    }
            } catch {
                throw DatabaseLocationError(argument: argument, reason: "DATABASE_PASSWORD_FILE cannot be read: \(error.localizedDescription)")
            }
            guard let address = PostgresAddress(url: argument, password: password) else { throw DatabaseLocationError(argument: argument) }
            self = .postgres(address)
        } else {
            throw DatabaseLocationError(argument: argument)
        }
    }

    public var description: String {
        switch self {
        case let .sqlite(path): "sqlite:\(path)"
        case let .postgres(address): address.description
        }
    }

    /// Opens the data for the time of `body`: every store over the database, created and
    /// migrated where needed; a PostgreSQL client's connections close when `body` ends, whatever
    /// happened. How a command, a benchmark or the server's own preparation uses the data;
    /// `callsCache` bounds the tenants whose call state stays in memory.
    public func withStores<Value>(
        callsCache: TenantCallsCache.Limits = TenantCallsCache.Limits(),
        _ body: (Stores) async throws -> Value
    ) async throws -> Value {
        switch self {
        case let .sqlite(path):
            let sqlite = try SQLiteStores(path: path, callsCache: callsCache)
            defer { try? sqlite.close() }
            return try await body(sqlite.stores)
        case let .postgres(address):
            let database = PostgresDatabase(address)
            return try await database.whileRunning { try await body(PostgresStores(database: database, callsCache: callsCache).stores) }
        }
    }

    /// `withStores`, with the services built over the stores on `clock`.
    public func withServices<Value>(
        clock: any CreditsClock = SystemClock(),
        accessSettings: AccessService.Settings = AccessService.Settings(),
        _ body: (CreditsServices) async throws -> Value
    ) async throws -> Value {
        try await withStores { stores in try await body(CreditsServices(stores: stores, clock: clock, accessSettings: accessSettings)) }
    }

    /// The stores a server keeps open while it runs, over a database `withStores` has already
    /// brought up to date, and for PostgreSQL the database: a service to run among the server's,
    /// which lends the stores their connections until it shuts down.
    func storesToServe(callsCache: TenantCallsCache.Limits) throws -> (stores: Stores, postgres: PostgresDatabase?) {
        switch self {
        case let .sqlite(path):
            return (try SQLiteStores(path: path, callsCache: callsCache).stores, nil)
        case let .postgres(address):
            let database = PostgresDatabase(address)
            return (PostgresStores(database: database, callsCache: callsCache).stores, database)
        }
    }
}

public struct DatabaseLocationError: Error, CustomStringConvertible {
    public let argument: String
    public var reason: String?

    public init(argument: String, reason: String? = nil) {
        self.argument = argument
        self.reason = reason
    }

    public var description: String {
        reason ?? """
            '\(argument)' is not a database this service can use; give sqlite:PATH (for example \(DatabaseLocation.defaultArgument)) \
            or postgres://USER@HOST:PORT/DATABASE, with the password in DATABASE_PASSWORD or a file named by DATABASE_PASSWORD_FILE.
            """
    }
}
