/// What a caller may do. Token scopes and administrator roles both come down to these, so that
/// every route asks one question: may this caller do *this* in *this* tenant?
public enum Permission: String, Hashable, Sendable, CaseIterable {
    /// Every tenant: create tenants, load rate decks, move the test clock.
    case operate
    /// The tenant record (its commerce model, agreements) and its access tokens.
    case administerTenant
    /// Add and import users, set their passwords.
    case manageUsers
    /// Buy credits, change auto-recharge, the payment method and the spend controls.
    case buy
    /// Assign and remove licenses.
    case assignLicenses
    /// Read the balance, transactions, invoices, usage records, pools and reports.
    case readBilling
    /// Ask whether a call may start, extend it, end it (the telephony platform).
    case chargeCalls
    /// Upload usage records after the fact.
    case uploadUsage
}

/// What a bearer token was created for (`commscredits tokens create --scopes ...`).
public enum Scope: String, Hashable, Sendable, CaseIterable, Comparable {
    case `operator`
    case tenantAdmin = "tenant.admin"
    case billing, licenses, reports, calls, usage

    public var permissions: Set<Permission> {
        switch self {
        case .operator: Set(Permission.allCases)
        case .tenantAdmin: [.administerTenant, .manageUsers, .assignLicenses]
        case .billing: [.buy, .readBilling]
        case .licenses: [.assignLicenses]
        case .reports: [.readBilling]
        case .calls: [.chargeCalls]
        case .usage: [.uploadUsage]
        }
    }

    /// The telephony platform's scopes: a token of these alone may reach every tenant.
    public static let platform: Set<Scope> = [.calls, .usage]

    /// Scopes written as a list: "billing,reports" or "billing reports".
    public static func parseList(_ text: String) throws(Refusal) -> Set<Scope> {
        var scopes: Set<Scope> = []
        for name in text.split(whereSeparator: { $0 == "," || $0 == " " }) {
            scopes.insert(try Scope.parse(String(name), field: .invalidScopes))
        }
        guard !scopes.isEmpty else {
            throw Refusal.invalid(.invalidScopes, "Name at least one scope: \(allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return scopes
    }

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension Role {
    /// `DOMAIN.md` section 3: buying and billing settings for Global and Billing Administrators;
    /// licenses for Global, License and User Administrators; reading the balance, usage and
    /// invoices for those and Teams (Communications) Administrators. Company Administrator is
    /// the older name of Global Administrator.
    public var permissions: Set<Permission> {
        switch self {
        case .globalAdministrator, .companyAdministrator:
            [.administerTenant, .manageUsers, .buy, .assignLicenses, .readBilling]
        case .billingAdministrator: [.buy, .readBilling]
        case .licenseAdministrator: [.assignLicenses, .readBilling]
        case .userAdministrator: [.manageUsers, .assignLicenses, .readBilling]
        case .teamsAdministrator, .teamsCommunicationsAdministrator: [.readBilling]
        default: []
        }
    }
}
