/// The files administrators upload for bulk work: users to import, sign-in names to
/// assign or remove a license for, users' call controls. Each is read whole and every bad line is named.
public enum UserFiles {
    public static let maximumRows = 1_000_000

    /// `upn,displayName,usageLocation[,roles][,licenses][,administrativeUnits]`; lists separated by ';'.
    public static func users(_ text: some Sequence<UInt8>) -> Result<[NumberedLine<User>], RefusedLines> {
        let table: CSVTable
        switch CSVTable.read(text, required: ["upn", "displayName", "usageLocation"], optional: ["roles", "licenses", "administrativeUnits"]) {
        case let .success(read): table = read
        case let .failure(error): return .failure(error)
        }
        var users: [NumberedLine<User>] = []
        var errors = table.lineErrors
        var lineOfUpn: [UserPrincipalName: Int] = [:]
        for row in table.rows {
            do throws(Refusal) {
                let upn = try UserPrincipalName(table.field("upn", of: row)!)
                try checkFirst(upn, on: row.line, &lineOfUpn)
                let roles = try User.parseRoles(list(table.field("roles", of: row)))
                var licenses: Set<LicenseSku> = []
                for name in list(table.field("licenses", of: row)) { licenses.insert(try LicenseSku.parse(name)) }
                let user = try User(
                    upn: upn,
                    displayName: table.field("displayName", of: row)!,
                    usageLocation: CountryCode.parse(table.field("usageLocation", of: row)!, field: .invalidUsageLocation),
                    roles: roles,
                    licenses: licenses,
                    administrativeUnits: AdministrativeUnit.parseList(list(table.field("administrativeUnits", of: row)))
                )
                users.append(NumberedLine(line: row.line, value: user))
            } catch {
                errors.append(LineError(line: row.line, error: error))
            }
        }
        return finish(users, errors)
    }

    /// One column, `upn`: the users a license is assigned to or removed from.
    public static func principalNames(_ text: some Sequence<UInt8>) -> Result<[NumberedLine<UserPrincipalName>], RefusedLines> {
        let table: CSVTable
        switch CSVTable.read(text, required: ["upn"]) {
        case let .success(read): table = read
        case let .failure(error): return .failure(error)
        }
        var names: [NumberedLine<UserPrincipalName>] = []
        var errors = table.lineErrors
        var lineOfUpn: [UserPrincipalName: Int] = [:]
        for row in table.rows {
            do throws(Refusal) {
                let upn = try UserPrincipalName(row.fields[0])
                try checkFirst(upn, on: row.line, &lineOfUpn)
                names.append(NumberedLine(line: row.line, value: upn))
            } catch {
                errors.append(LineError(line: row.line, error: error))
            }
        }
        return finish(names, errors)
    }

    /// `number,upn,resourceAccount`: each number (E.164, or a SIP address) and who holds it, a
    /// user (`upn`) or a resource account (its name), one of the two.
    public static func numbers(_ text: some Sequence<UInt8>, in tenantId: TenantId) -> Result<[NumberedLine<NumberAssignment>], RefusedLines> {
        let table: CSVTable
        switch CSVTable.read(text, required: ["number"], optional: ["upn", "resourceAccount"]) {
        case let .success(read): table = read
        case let .failure(error): return .failure(error)
        }
        var assignments: [NumberedLine<NumberAssignment>] = []
        var errors = table.lineErrors
        var lineOfIdentity: [DirectoryIdentity: Int] = [:]
        for row in table.rows {
            do throws(Refusal) {
                let identity = try DirectoryIdentity(table.field("number", of: row)!)
                if let first = lineOfIdentity[identity] {
                    errors.append(
                        LineError(
                            line: row.line,
                            error: Refusal(.duplicateNumber, detail: "\(identity) already appears on line \(first).")
                        )
                    )
                    continue
                }
                lineOfIdentity[identity] = row.line
                let holder = try NumberHolder.parse(upn: table.field("upn", of: row), resourceAccount: table.field("resourceAccount", of: row))
                assignments.append(NumberedLine(line: row.line, value: NumberAssignment(identity: identity, tenantId: tenantId, holder: holder)))
            } catch {
                errors.append(LineError(line: row.line, error: error))
            }
        }
        return finish(assignments, errors)
    }

    /// Refuses a sign-in name a file named on an earlier line; notes the line otherwise.
    static func checkFirst(_ upn: UserPrincipalName, on line: Int, _ lineOfUpn: inout [UserPrincipalName: Int]) throws(Refusal) {
        if let first = lineOfUpn[upn] {
            throw Refusal(.duplicateUser, detail: "\(upn) already appears on line \(first).")
        }
        lineOfUpn[upn] = line
    }

    static func list(_ field: String?) -> [String] {
        (field ?? "").split(separator: ";").map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
    }

    static func finish<Value>(_ values: [NumberedLine<Value>], _ errors: [LineError]) -> Result<[NumberedLine<Value>], RefusedLines> {
        var errors = errors
        if values.count > maximumRows {
            errors.append(LineError(line: values[maximumRows].line, reason: "a file holds at most \(maximumRows) rows; split it"))
        }
        if values.isEmpty, errors.isEmpty { errors.append(LineError(line: 2, reason: "the file has a header but no rows")) }
        return errors.isEmpty ? .success(values) : .failure(RefusedLines(lines: errors))
    }
}

/// A value read from a numbered line of a file, so that a later check can still name the line.
public struct NumberedLine<Value: Sendable>: Sendable {
    public let line: Int
    public let value: Value

    public init(line: Int, value: Value) {
        self.line = line
        self.value = value
    }
}
