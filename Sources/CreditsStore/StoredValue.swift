/// One column's value as the databases hold it, for moving rows between them.
public enum StoredValue: Sendable, Equatable {
    case integer(Int64)
    case text(String)
    case bytes([UInt8])
    case null
}

extension StoredValue {
    package static func optional(_ value: Int64?) -> StoredValue { value.map(StoredValue.integer) ?? .null }
    package static func optional(_ value: String?) -> StoredValue { value.map(StoredValue.text) ?? .null }
}

/// A page of rows of one table, named by column.
public struct TablePage: Sendable {
    public let table: String
    public let columns: [String]
    public let rows: [[StoredValue]]

    public init(table: String, columns: [String], rows: [[StoredValue]]) {
        self.table = table
        self.columns = columns
        self.rows = rows
    }
}
