/// A SIP address, `sip:user@host` (`sips:` names the same address), without parameters.
/// Compared without case, like sign-in names: in a directory `sip:Ann@...` and `sip:ann@...`
/// are one person (our rule).
public struct SIPAddress: Hashable, Sendable, CustomStringConvertible {
    public static let maximumLength = 256
    /// `sip:user@host`, in lower case.
    public let rawValue: String

    public init(_ text: String) throws(Refusal) {
        let lower = text.trimmingWhitespace.lowercased()
        let rest: Substring
        if lower.hasPrefix("sip:") {
            rest = lower.dropFirst(4)
        } else if lower.hasPrefix("sips:") {
            rest = lower.dropFirst(5)
        } else {
            throw Self.invalid(text)
        }
        let parts = rest.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, rest.utf8.count + 4 <= Self.maximumLength,
            !rest.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control || ";?<>\"/\\,".unicodeScalars.contains($0)
            })
        else { throw Self.invalid(text) }
        rawValue = "sip:" + rest
    }

    public init(stored: String) { rawValue = stored }

    public var description: String { rawValue }

    private static func invalid(_ text: String) -> Refusal {
        Refusal(
            .invalidSipAddress,
            detail: "'\(text.prefix(60))' is not a SIP address: sip:user@host, at most \(maximumLength) characters, without parameters or spaces."
        )
    }
}

/// What the directory knows a caller or callee by: a phone number or a SIP address.
public enum DirectoryIdentity: Hashable, Sendable, Comparable, CustomStringConvertible {
    case number(PhoneNumber)
    case sip(SIPAddress)

    /// `+` and digits is a number; `sip:` or `sips:` a SIP address.
    public init(_ text: String) throws(Refusal) {
        let trimmed = text.trimmingWhitespace
        self = trimmed.hasPrefix("+") ? .number(try PhoneNumber(trimmed)) : .sip(try SIPAddress(trimmed))
    }

    /// As stored: only what `description` wrote.
    public init(stored: String) {
        self =
            stored.hasPrefix("+")
            ? ((try? PhoneNumber(stored)).map(Self.number) ?? .sip(SIPAddress(stored: stored))) : .sip(SIPAddress(stored: stored))
    }

    public var description: String {
        switch self {
        case let .number(number): number.description
        case let .sip(address): address.rawValue
        }
    }

    public var phoneNumber: PhoneNumber? {
        if case let .number(number) = self { number } else { nil }
    }

    public static func < (lhs: DirectoryIdentity, rhs: DirectoryIdentity) -> Bool { lhs.description < rhs.description }
}

/// Who holds a number or SIP address: a user, or a resource account (an auto attendant or call
/// queue, such as a toll-free support line), which has a name and no license of its own.
public enum NumberHolder: Hashable, Sendable {
    case user(UserPrincipalName)
    case resourceAccount(String)

    public static let maximumNameLength = 128

    /// A resource account's name: 1 to 128 characters, no control characters.
    public static func resourceAccount(named text: String) throws(Refusal) -> NumberHolder {
        let name = text.trimmingWhitespace
        guard !name.isEmpty, name.count <= maximumNameLength, !name.hasControlCharacters else {
            throw Refusal.invalid(.invalidResourceAccount, "A resource account's name is 1 to \(maximumNameLength) characters.")
        }
        return .resourceAccount(name)
    }

    /// The holder a body or a file names: a user's sign-in name or a resource account's name,
    /// exactly one of the two.
    public static func parse(upn: String?, resourceAccount: String?) throws(Refusal) -> NumberHolder {
        let upn = upn.flatMap { $0.trimmingWhitespace.isEmpty ? nil : $0 }
        let account = resourceAccount.flatMap { $0.trimmingWhitespace.isEmpty ? nil : $0 }
        switch (upn, account) {
        case let (upn?, nil): return .user(try UserPrincipalName(upn))
        case let (nil, account?): return try .resourceAccount(named: account)
        default:
            throw Refusal.invalid(.invalidHolder, "Name who holds the number: a user (upn) or a resource account (resourceAccount), one of the two.")
        }
    }

    public var upn: UserPrincipalName? {
        if case let .user(upn) = self { upn } else { nil }
    }
}

/// A number or SIP address assigned in a tenant's directory, to a user or a resource account.
/// A number belongs to one tenant at a time (our rule), so that a platform serving many tenants
/// finds the tenant by the number.
public struct NumberAssignment: Hashable, Sendable {
    public let identity: DirectoryIdentity
    public let tenantId: TenantId
    public let holder: NumberHolder

    public init(identity: DirectoryIdentity, tenantId: TenantId, holder: NumberHolder) {
        self.identity = identity
        self.tenantId = tenantId
        self.holder = holder
    }

    /// Judges a bulk assignment in `tenantId`, inside the transaction that would write it: each
    /// line's identity must not be held by another tenant (`heldElsewhere`), and a user holder
    /// must be one of `users`. Any refusal refuses them all.
    public static func judge(
        _ lines: [NumberedLine<NumberAssignment>],
        heldElsewhere: Set<DirectoryIdentity>,
        users: Set<UserPrincipalName>
    ) throws(RefusedLines) {
        var refused: [LineError] = []
        for line in lines {
            if heldElsewhere.contains(line.value.identity) {
                refused.append(LineError(line: line.line, error: .numberHeldElsewhere(line.value.identity)))
            } else if let upn = line.value.holder.upn, !users.contains(upn) {
                refused.append(LineError(line: line.line, error: .unknownUser(upn.rawValue)))
            }
        }
        guard refused.isEmpty else { throw RefusedLines(lines: refused) }
    }
}

extension Refusal {
    public static func numberHeldElsewhere(_ identity: DirectoryIdentity) -> Refusal {
        Refusal(
            .numberHeldElsewhere,
            detail: "\(identity) is assigned in another organization; it must be released there first."
        )
    }

    public static func unknownNumber(_ identity: DirectoryIdentity) -> Refusal {
        Refusal(.unknownNumber, detail: "No organization you may reach has \(identity) in its directory.")
    }
}
