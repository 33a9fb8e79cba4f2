/// One user's controls as a line of a bulk file sets them: the monthly spend limit (nil: none)
/// and the user's own destination rules (nil: none).
public struct UserControlLine: Hashable, Sendable {
    public let upn: UserPrincipalName
    public let limitMinor: Int64?
    public let destinations: DestinationRules?

    public init(upn: UserPrincipalName, limitMinor: Int64?, destinations: DestinationRules?) {
        self.upn = upn
        self.limitMinor = limitMinor
        self.destinations = destinations
    }
}

extension UserFiles {
    /// `upn[,monthlyLimit][,blockedNumberTypes][,mode][,destinations]`: the limit in the tenant's
    /// currency (`50.00`), lists separated by ';' (`premium;sharedCost`, `CU;+882`), the mode
    /// `blockListed` (the default) or `allowListedOnly`. An empty field means none: each line
    /// replaces the user's limit and own rules.
    public static func userControls(_ text: some Sequence<UInt8>, currency: Currency) -> Result<[NumberedLine<UserControlLine>], RefusedLines> {
        let table: CSVTable
        switch CSVTable.read(text, required: ["upn"], optional: ["monthlyLimit", "blockedNumberTypes", "mode", "destinations"]) {
        case let .success(read): table = read
        case let .failure(error): return .failure(error)
        }
        var lines: [NumberedLine<UserControlLine>] = []
        var errors = table.lineErrors
        var lineOfUpn: [UserPrincipalName: Int] = [:]
        for row in table.rows {
            do throws(Refusal) {
                let upn = try UserPrincipalName(table.field("upn", of: row)!)
                try checkFirst(upn, on: row.line, &lineOfUpn)
                lines.append(NumberedLine(line: row.line, value: try userControl(upn, table, row, currency)))
            } catch {
                errors.append(LineError(line: row.line, error: error))
            }
        }
        return finish(lines, errors)
    }

    private static func userControl(
        _ upn: UserPrincipalName,
        _ table: CSVTable,
        _ row: CSVRecords.Record,
        _ currency: Currency
    ) throws(Refusal)
        -> UserControlLine
    {
        let limitText = table.field("monthlyLimit", of: row)?.trimmingWhitespace ?? ""
        var limit: Int64?
        if !limitText.isEmpty {
            guard let parsed = MoneyText.parseMinor(limitText, currency), (0...LedgerLimits.maximumAmountMinor).contains(parsed) else {
                throw Refusal.invalid(
                    .invalidMonthlyLimit,
                    "'\(limitText.prefix(40))' is not an amount in \(currency.code) of 0 or more, like 50.00."
                )
            }
            limit = parsed
        }
        var types: Set<NumberType> = []
        for name in list(table.field("blockedNumberTypes", of: row)) {
            guard let type = NumberType(rawValue: name) else {
                throw Refusal.invalid(
                    .invalidBlockedNumberTypes,
                    "'\(name.prefix(40))' is not a number type: \(NumberType.allCases.map(\.rawValue).joined(separator: ", "))."
                )
            }
            types.insert(type)
        }
        let modeText = table.field("mode", of: row)?.trimmingWhitespace ?? ""
        guard let mode = modeText.isEmpty ? .blockListed : DestinationRules.Mode(rawValue: modeText) else {
            throw Refusal.invalid(.invalidMode, "The mode is blockListed or allowListedOnly, not '\(modeText.prefix(40))'.")
        }
        let listed = list(table.field("destinations", of: row))
        guard listed.count <= DestinationRules.maximumDestinations else {
            throw Refusal.invalid(.invalidDestinations, "List at most \(DestinationRules.maximumDestinations) countries and prefixes.")
        }
        let rules = try DestinationRules(
            blockedNumberTypes: types,
            mode: mode,
            destinations: listed.map { text throws(Refusal) in try CallDestination(text) }
        )
        return UserControlLine(upn: upn, limitMinor: limit, destinations: rules.isOpen ? nil : rules)
    }
}
