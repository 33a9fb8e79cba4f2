import Logging
import PostgresNIO

/// One connection lent to a piece of work, with the logger its statements log to: what every
/// reader and writer of rows is given, so that neither travels alone.
struct PostgresSession: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// The rows of a statement, as they arrive.
    func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await connection.query(query, logger: logger)
    }

    /// Every row of a query, decoded.
    func rows<each Column: PostgresDecodable>(_ query: PostgresQuery, as type: (repeat each Column).Type) async throws -> [(repeat each Column)] {
        var decoded: [(repeat each Column)] = []
        for try await row in try await self.query(query) {
            decoded.append(try row.decode(type))
        }
        return decoded
    }

    /// The first row of a query, decoded; nil when there is none.
    func row<each Column: PostgresDecodable>(_ query: PostgresQuery, as type: (repeat each Column).Type) async throws -> (repeat each Column)? {
        for try await row in try await self.query(query) {
            return try row.decode(type)
        }
        return nil
    }

    /// The rows of a query, each read by `decode`.
    func records<Record>(_ query: PostgresQuery, _ decode: (PostgresRow) throws -> Record) async throws -> [Record] {
        var records: [Record] = []
        for try await row in try await self.query(query) { records.append(try decode(row)) }
        return records
    }

    /// Runs a statement; returns how many rows it returned (with `RETURNING`, how many it changed).
    @discardableResult
    func run(_ query: PostgresQuery) async throws -> Int {
        var count = 0
        for try await _ in try await self.query(query) { count += 1 }
        return count
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws
    /// (the error is `body`'s own, unwrapped, so that a refusal stays a refusal).
    func transaction<Value>(_ body: () async throws -> sending Value) async throws -> sending Value {
        try await run("BEGIN")
        do {
            let value = try await body()
            try await run("COMMIT")
            return value
        } catch {
            _ = try? await run("ROLLBACK")
            throw error
        }
    }
}
