/// A user of a tenant (`DOMAIN.md` section 3).
public struct User: Hashable, Sendable {
    public let upn: UserPrincipalName
    public var displayName: String
    /// Decides which country's minute pools the user draws on.
    public var usageLocation: CountryCode
    public var roles: Set<Role>
    public var licenses: Set<LicenseSku>
    /// The directory's administrative units the user is in.
    public var administrativeUnits: Set<AdministrativeUnit>

    public static let maximumDisplayNameLength = 256

    public init(
        upn: UserPrincipalName,
        displayName: String,
        usageLocation: CountryCode,
        roles: Set<Role> = [],
        licenses: Set<LicenseSku> = [],
        administrativeUnits: Set<AdministrativeUnit> = []
    ) throws(Refusal) {
        let name = displayName.trimmingWhitespace
        guard !name.isEmpty, name.count <= Self.maximumDisplayNameLength, !name.hasControlCharacters else {
            throw Refusal.invalid(.invalidDisplayName, "A display name is 1 to \(Self.maximumDisplayNameLength) characters.")
        }
        self.upn = upn
        self.displayName = name
        self.usageLocation = usageLocation
        self.roles = roles
        self.licenses = licenses
        self.administrativeUnits = administrativeUnits
    }

    /// Parses role names, refusing the first it does not know.
    public static func parseRoles(_ names: some Sequence<String>) throws(Refusal) -> Set<Role> {
        var roles: Set<Role> = []
        for name in names where !name.trimmingWhitespace.isEmpty {
            guard let role = Role(named: name) else {
                throw Refusal(
                    .unknownRole,
                    detail: "'\(name)' is not one of the twenty administrator roles (for example Global Administrator)."
                )
            }
            roles.insert(role)
        }
        return roles
    }
}

/// A sign-in name, `name@domain`, kept in lower case: sign-in names do not depend on case.
public struct UserPrincipalName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let maximumLength = 113
    public let rawValue: String

    public init(_ text: String) throws(Refusal) {
        let lower = text.trimmingWhitespace.lowercased()
        let parts = lower.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, lower.utf8.count <= Self.maximumLength,
            !lower.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control || "/?#%\\\"".unicodeScalars.contains($0)
            })
        else {
            throw Refusal.invalid(
                .invalidUpn,
                "'\(text)' is not a sign-in name: expected name@domain, at most \(Self.maximumLength) characters, no spaces."
            )
        }
        rawValue = lower
    }

    public init(stored: String) { rawValue = stored }

    public var description: String { rawValue }
    public static func < (lhs: UserPrincipalName, rhs: UserPrincipalName) -> Bool { lhs.rawValue < rhs.rawValue }
}
