/// Reads CSV text strictly by RFC 4180, one record at a time, with the line each record starts
/// on, so that every complaint can name its line. Unlike a lenient reader it refuses a quote
/// inside an unquoted field, text after a closing quote and a quote left open, rather than
/// guessing what was meant.
public struct CSVRecords: Sequence, IteratorProtocol {
    public struct Record: Hashable, Sendable {
        public let line: Int
        public let fields: [String]
    }

    public struct Malformed: Error, Hashable, Sendable {
        public let line: Int
        public let reason: String
    }

    private var bytes: [UInt8]
    private var index = 0
    private var line = 1
    public private(set) var error: Malformed?

    public init(_ text: some Sequence<UInt8>) {
        bytes = Array(text)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // a byte-order mark, as spreadsheets write
    }

    /// The next record; nil at the end, or at the first malformed record (then `error` says why).
    public mutating func next() -> Record? {
        guard error == nil, index < bytes.count else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var fieldStarted = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == quote {
                    if index < bytes.count, bytes[index] == quote {
                        field.append(quote)
                        index += 1
                    } else {
                        quoted = false
                        guard index == bytes.count || [comma, carriageReturn, lineFeed].contains(bytes[index]) else {
                            return fail("text after a closing quote; a quote inside a quoted field is written twice (\"\")")
                        }
                    }
                } else {
                    if byte == lineFeed { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case comma:
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                fieldStarted = false
            case quote:
                guard !fieldStarted, field.isEmpty else {
                    return fail("a quote inside an unquoted field; quote the whole field and double the quote")
                }
                quoted = true
                fieldStarted = true
            case carriageReturn where index < bytes.count && bytes[index] == lineFeed:
                index += 1
                fallthrough
            case lineFeed:
                line += 1
                fields.append(String(decoding: field, as: UTF8.self))
                return Record(line: startLine, fields: fields)
            default:
                field.append(byte)
                fieldStarted = true
            }
        }
        if quoted { return fail("a quoted field is never closed", at: startLine) }
        fields.append(String(decoding: field, as: UTF8.self))
        return Record(line: startLine, fields: fields)
    }

    private mutating func fail(_ reason: String, at failingLine: Int? = nil) -> Record? {
        error = Malformed(line: failingLine ?? line, reason: reason)
        index = bytes.count
        return nil
    }
}

private let comma = UInt8(ascii: ",")
private let quote = UInt8(ascii: "\"")
private let carriageReturn = UInt8(ascii: "\r")
private let lineFeed = UInt8(ascii: "\n")

/// A complaint about one line of an uploaded file.
public struct LineError: Hashable, Sendable, CustomStringConvertible {
    public let line: Int
    public let error: Refusal

    public init(line: Int, error: Refusal) {
        self.line = line
        self.error = error
    }

    /// A line that is not well-formed CSV, or does not fit the header.
    public init(line: Int, reason: String) {
        self.init(line: line, error: Refusal(.malformedFile, detail: reason))
    }

    public var description: String { "line \(line): \(error)" }
}

/// The records of a CSV file with a header row, matched to the columns a command needs.
public struct CSVTable: Sendable {
    public let header: [String]
    public let rows: [CSVRecords.Record]
    /// Lines that do not fit the header, or are not well-formed (reading stops at the first of those).
    public let lineErrors: [LineError]

    /// Reads `text`; `required` columns must be in the header (any case, any order), or the whole
    /// file is refused. Each row must have as many fields as the header; blank lines are skipped.
    public static func read(_ text: some Sequence<UInt8>, required: [String], optional: [String] = []) -> Result<CSVTable, RefusedLines> {
        var records = CSVRecords(text)
        var errors: [LineError] = []
        guard let headerRecord = records.next() else {
            if let error = records.error { return .failure(RefusedLines(lines: [LineError(line: error.line, reason: error.reason)])) }
            return .failure(
                RefusedLines(lines: [
                    LineError(line: 1, reason: "the file is empty; the first line names the columns: \(required.joined(separator: ","))")
                ])
            )
        }
        let header = headerRecord.fields.map { $0.trimmingWhitespace.lowercased() }
        let missing = required.filter { !header.contains($0.lowercased()) }
        let known = Set((required + optional).map { $0.lowercased() })
        if !missing.isEmpty {
            errors.append(
                LineError(
                    line: 1,
                    reason:
                        "the header lacks the column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); expected \((required + optional).joined(separator: ","))"
                )
            )
        }
        if let unknown = header.first(where: { !known.contains($0) }) {
            errors.append(LineError(line: 1, reason: "unknown column '\(unknown)'; expected \((required + optional).joined(separator: ","))"))
        }
        guard errors.isEmpty else { return .failure(RefusedLines(lines: errors)) }
        var rows: [CSVRecords.Record] = []
        while let record = records.next() {
            if record.fields.count == 1, record.fields[0].trimmingWhitespace.isEmpty { continue }
            guard record.fields.count == header.count else {
                errors.append(LineError(line: record.line, reason: "\(record.fields.count) fields where the header has \(header.count)"))
                continue
            }
            rows.append(record)
        }
        if let error = records.error { errors.append(LineError(line: error.line, reason: error.reason)) }
        return .success(CSVTable(header: header, rows: rows, lineErrors: errors))
    }

    /// The field of `row` in `column` (required columns only; optional ones may be absent).
    public func field(_ column: String, of row: CSVRecords.Record) -> String? {
        header.firstIndex(of: column.lowercased()).map { row.fields[$0] }
    }
}

/// Every bad line of a file, in line order; nothing of the file was applied.
public struct RefusedLines: Error, Hashable, Sendable, CustomStringConvertible {
    public static let maximumListed = 1000
    public let lines: [LineError]

    public init(lines: [LineError]) {
        self.lines = lines.sorted { $0.line < $1.line }
    }

    public var description: String {
        let shown = lines.prefix(Self.maximumListed).map(\.description)
        let more = lines.count > Self.maximumListed ? ["... and \(lines.count - Self.maximumListed) more"] : []
        return "Nothing was changed; \(lines.count) line\(lines.count == 1 ? " is" : "s are") wrong:\n" + (shown + more).joined(separator: "\n")
    }
}
