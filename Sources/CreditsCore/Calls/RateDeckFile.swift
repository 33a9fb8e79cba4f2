/// The CSV form of a rate deck (`API.md`):
/// `prefix,destination,numberType,rateMicrosPerMinute,connectionFeeMicros,firstIncrementSeconds,nextIncrementSeconds,effectiveFrom`.
/// Every bad line is named; the file is taken whole or not at all.
public enum RateDeckFile {
    public static let columns = [
        "prefix", "destination", "numberType", "rateMicrosPerMinute", "connectionFeeMicros",
        "firstIncrementSeconds", "nextIncrementSeconds", "effectiveFrom",
    ]
    public static let maximumRows = 1_000_000

    public static func rates(_ text: some Sequence<UInt8>) -> Result<[Rate], RefusedLines> {
        let table: CSVTable
        switch CSVTable.read(text, required: columns) {
        case let .success(read): table = read
        case let .failure(error): return .failure(error)
        }
        let position = Dictionary(uniqueKeysWithValues: columns.map { ($0, table.header.firstIndex(of: $0.lowercased())!) })
        var rates: [Rate] = []
        var errors = table.lineErrors
        var lineOfRate: [String: Int] = [:]
        for row in table.rows {
            func field(_ column: String) -> String { row.fields[position[column]!].trimmingWhitespace }
            do throws(Refusal) {
                let effective = field("effectiveFrom")
                guard effective.utf8.count == 10, let day = ISO8601.parse(effective) else {
                    throw Refusal.invalid(.invalidEffectiveFrom, "effectiveFrom is a date, YYYY-MM-DD, not '\(effective.prefix(40))'.")
                }
                let rate = try Rate(
                    prefix: DialPrefix(field("prefix")),
                    destination: field("destination"),
                    numberType: NumberType.parse(field("numberType"), field: .invalidNumberType),
                    rateMicrosPerMinute: integer(field("rateMicrosPerMinute"), .invalidRateMicrosPerMinute),
                    connectionFeeMicros: integer(field("connectionFeeMicros"), .invalidConnectionFeeMicros),
                    firstIncrementSeconds: integer(field("firstIncrementSeconds"), .invalidFirstIncrementSeconds),
                    nextIncrementSeconds: integer(field("nextIncrementSeconds"), .invalidNextIncrementSeconds),
                    effectiveFrom: day.civilDateAndTime.date
                )
                let identity = "\(rate.prefix) \(effective)"
                if let first = lineOfRate[identity] {
                    throw Refusal(
                        .duplicateRate,
                        detail: "Prefix \(rate.prefix) from \(effective) already has a rate on line \(first)."
                    )
                }
                lineOfRate[identity] = row.line
                rates.append(rate)
            } catch {
                errors.append(LineError(line: row.line, error: error))
            }
        }
        if rates.count > maximumRows {
            errors.append(LineError(line: table.rows[maximumRows].line, reason: "a deck holds at most \(maximumRows) rows; split it"))
        }
        if rates.isEmpty, errors.isEmpty { errors.append(LineError(line: 2, reason: "the file has a header but no rows")) }
        return errors.isEmpty ? .success(rates) : .failure(RefusedLines(lines: errors))
    }

    private static func integer(_ text: String, _ field: ProblemCode) throws(Refusal) -> Int64 {
        guard let value = Int64(text) else { throw Refusal.invalid(field, "\(field.field) is a whole number, not '\(text.prefix(40))'.") }
        return value
    }

    /// The deck as CSV, the same columns, one line per rate.
    public static func csv(_ rates: [Rate]) -> String {
        var text = columns.joined(separator: ",") + "\r\n"
        for rate in rates {
            let destination =
                rate.destination.contains(where: { $0 == "," || $0 == "\"" })
                ? "\"" + rate.destination.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"" : rate.destination
            text += "\(rate.prefix),\(destination),\(rate.numberType.rawValue),\(rate.rateMicrosPerMinute),\(rate.connectionFeeMicros),"
            text += "\(rate.firstIncrementSeconds),\(rate.nextIncrementSeconds),\(ISO8601.formatDate(rate.effectiveFrom))\r\n"
        }
        return text
    }
}
