import CreditsStore
import PostgresNIO

/// One `INSERT` of many rows, `VALUES ($1, $2), ($3, $4), …`: a round trip for a whole batch,
/// split where a statement would pass PostgreSQL's limit of 65,535 parameters.
struct RowsInsert {
    private let head: String
    private let tail: String
    private let columns: Int
    private var sql = ""
    private var binds = PostgresBindings()
    private var parameters = 0
    private(set) var queries: [PostgresQuery] = []

    /// `head`: `INSERT INTO t (a, b) VALUES`; `tail`: what follows the rows (`ON CONFLICT …`).
    init(_ head: String, columns: Int, tail: String = "") {
        self.head = head
        self.tail = tail
        self.columns = columns
    }

    mutating func add(_ values: StoredValue...) {
        add(values)
    }

    mutating func add(_ values: [StoredValue]) {
        precondition(values.count == columns)
        if parameters + columns > 65_535 { finishStatement() }
        sql += parameters == 0 ? head + " (" : ", ("
        for (index, value) in values.enumerated() {
            parameters += 1
            sql += index == 0 ? "$\(parameters)" : ", $\(parameters)"
            switch value {
            case let .integer(integer): binds.append(integer)
            case let .text(text): binds.append(text)
            case let .bytes(bytes): binds.append(ByteBuffer(bytes: bytes))
            case .null: binds.appendNull()
            }
        }
        sql += ")"
    }

    /// Runs every statement built.
    mutating func run(on connection: PostgresSession) async throws {
        finishStatement()
        for query in queries { try await connection.run(query) }
        queries.removeAll()
    }

    private mutating func finishStatement() {
        guard parameters > 0 else { return }
        queries.append(PostgresQuery(unsafeSQL: sql + " " + tail, binds: binds))
        sql = ""
        binds = PostgresBindings()
        parameters = 0
    }
}
