/// The twenty administrator roles that receive Communications Credits notifications
/// (`DOMAIN.md` section 3), and what each may do here.
public enum Role: String, Hashable, Sendable, CaseIterable, Comparable {
    case applicationAdministrator, authenticationAdministrator, azureADJoinedDeviceLocalAdministrator
    case billingAdministrator, cloudDeviceAdministrator, companyAdministrator, deviceAdministrator
    case globalAdministrator, helpdeskAdministrator, licenseAdministrator, lyncServiceAdministrator
    case privilegedAuthenticationAdministrator, serviceSupportAdministrator, skypeForBusinessAdministrator
    case teamsAdministrator, teamsCommunicationsAdministrator, teamsCommunicationsSupportEngineer
    case teamsCommunicationsSupportSpecialist, userAccountAdministrator, userAdministrator

    /// The name as the admin center shows it: "Global Administrator".
    public var displayName: String {
        switch self {
        case .azureADJoinedDeviceLocalAdministrator: return "Azure AD Joined Device Local Administrator"
        default:
            var words = ""
            for character in rawValue {
                if character.isUppercase, !words.isEmpty { words.append(" ") }
                words.append(words.isEmpty ? Character(character.uppercased()) : character)
            }
            return words
        }
    }

    /// A role named either way ("globalAdministrator" or "Global Administrator"), any case.
    public init?(named text: String) {
        let wanted = Self.comparable(text)
        guard let role = Self.allCases.first(where: { Self.comparable($0.rawValue) == wanted }) else { return nil }
        self = role
    }

    private static func comparable(_ text: String) -> String {
        String(text.lowercased().filter { !$0.isWhitespace })
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}
