/// An administrative unit of the tenant's directory ("Sales", "EMEA"): a group of users that
/// administrators report on and, with a monthly spend limit, cap together. A user may be in
/// several. Named as the directory names it; two names that differ only in case are two units.
public struct AdministrativeUnit: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let maximumLength = 128
    /// At most this many units a user.
    public static let maximumPerUser = 50
    public let rawValue: String

    /// Refuses an empty name, one too long, and one with a control character or a ';' (which
    /// separates units in a file).
    public init(_ text: String) throws(Refusal) {
        let name = text.trimmingWhitespace
        guard !name.isEmpty, name.count <= Self.maximumLength, !name.hasControlCharacters, !name.contains(";") else {
            throw Refusal.invalid(
                .invalidAdministrativeUnits,
                "An administrative unit's name is 1 to \(Self.maximumLength) characters, without ';' or control characters."
            )
        }
        rawValue = name
    }

    /// A name this service wrote, so it checks again.
    public init(stored rawValue: String) { self.rawValue = rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }

    /// The units as a usage record names them: "EMEA; Sales"; nil for none.
    public static func listed(_ units: Set<AdministrativeUnit>) -> String? {
        units.isEmpty ? nil : units.sorted().map(\.rawValue).joined(separator: "; ")
    }

    /// The units a usage record names ("EMEA; Sales"), as `listed` wrote them.
    public static func unlisted(_ listed: String?) -> Set<AdministrativeUnit> {
        Set((listed ?? "").split(separator: ";").map { AdministrativeUnit(stored: String($0).trimmingWhitespace) }.filter { !$0.rawValue.isEmpty })
    }

    /// The units a user is in, refusing a bad name or too many.
    public static func parseList(_ names: some Sequence<String>) throws(Refusal) -> Set<AdministrativeUnit> {
        var units: Set<AdministrativeUnit> = []
        for name in names where !name.trimmingWhitespace.isEmpty { units.insert(try AdministrativeUnit(name)) }
        guard units.count <= maximumPerUser else {
            throw Refusal.invalid(.invalidAdministrativeUnits, "A user is in at most \(maximumPerUser) administrative units.")
        }
        return units
    }
}
