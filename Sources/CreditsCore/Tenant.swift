/// An organization and how it is billed (`DOMAIN.md` section 2).
public struct Tenant: Hashable, Sendable {
    public let id: TenantId
    public var name: String
    /// The organization address's country; checked against an agreement's billing country.
    public var country: CountryCode
    /// Fixed at creation: the credits ledger keeps its money in this currency.
    public let currency: Currency
    public var billingAccount: BillingAccount
    public let createdAt: Instant
    /// How long its usage records are kept.
    public var usageRetention = UsageRetention.standard

    public init(
        id: TenantId,
        name: String,
        country: CountryCode,
        currency: Currency,
        billingAccount: BillingAccount,
        createdAt: Instant
    ) throws(Refusal) {
        try Self.checkId(id)
        self.id = id
        self.name = try Self.checkedName(name)
        self.country = country
        self.currency = currency
        self.billingAccount = billingAccount
        self.createdAt = createdAt
    }

    public static let maximumIdLength = 64
    public static let maximumNameLength = 256

    /// Ids appear in paths as given, so they keep to characters that need no escaping.
    public static func checkId(_ id: TenantId) throws(Refusal) {
        let allowed = id.rawValue.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "-_.".unicodeScalars.contains($0)
        }
        guard !id.rawValue.isEmpty, id.rawValue.utf8.count <= maximumIdLength, allowed else {
            throw Refusal.invalid(.invalidTenantId, "A tenant id is 1 to \(maximumIdLength) letters, digits, '-', '_' or '.'.")
        }
    }

    public static func checkedName(_ name: String) throws(Refusal) -> String {
        let trimmed = name.trimmingWhitespace
        guard !trimmed.isEmpty, trimmed.count <= maximumNameLength, !trimmed.hasControlCharacters else {
            throw Refusal.invalid(.invalidName, "A tenant name is 1 to \(maximumNameLength) characters, without control characters.")
        }
        return trimmed
    }

    /// The agreement of this tenant with `number`, or a refusal naming the ones it has.
    public func agreement(numbered number: String) throws(Refusal) -> EnterpriseAgreement {
        guard let agreement = billingAccount.agreements.first(where: { $0.number == number }) else {
            let known = billingAccount.agreements.map(\.number).joined(separator: ", ")
            throw Refusal(
                .unknownAgreement,
                detail: "'\(number)' is not one of this tenant's Enterprise Agreements (\(known.isEmpty ? "it has none" : known))."
            )
        }
        return agreement
    }
}

/// How the tenant buys: the channel, its agreements, and whether it pays before or after use.
public struct BillingAccount: Hashable, Sendable {
    public var channel: SalesChannel
    public var commerceModel: CommerceModel
    public var agreements: [EnterpriseAgreement]

    /// Agreements belong to Volume Licensing only, which needs at least one; numbers are unique.
    public init(channel: SalesChannel, commerceModel: CommerceModel, agreements: [EnterpriseAgreement]) throws(Refusal) {
        if channel == .volumeLicensing, agreements.isEmpty {
            throw Refusal.invalid(.invalidAgreements, "A Volume Licensing tenant needs at least one Enterprise Agreement with its billing country.")
        }
        if channel != .volumeLicensing, !agreements.isEmpty {
            throw Refusal.invalid(.invalidAgreements, "Only a Volume Licensing tenant has Enterprise Agreements.")
        }
        guard Set(agreements.map(\.number)).count == agreements.count else {
            throw Refusal.invalid(.invalidAgreements, "Each Enterprise Agreement number may appear only once.")
        }
        self.channel = channel
        self.commerceModel = commerceModel
        self.agreements = agreements
    }
}

public enum SalesChannel: String, Hashable, Sendable, CaseIterable {
    case webDirect, volumeLicensing, csp
}

public enum CommerceModel: String, Hashable, Sendable, CaseIterable {
    /// Prepaid Communications Credits.
    case classic
    /// New Commerce Experience: billed after use.
    case nce
    /// Microsoft Customer Agreement: billed after use.
    case mca

    public var isPostUsage: Bool { self != .classic }
}

/// An Enterprise Agreement and the country of its billing address.
public struct EnterpriseAgreement: Hashable, Sendable {
    public static let maximumNumberLength = 64
    public let number: String
    public let billingCountry: CountryCode

    public init(number: String, billingCountry: CountryCode) throws(Refusal) {
        let trimmed = number.trimmingWhitespace
        guard !trimmed.isEmpty, trimmed.utf8.count <= Self.maximumNumberLength, !trimmed.hasControlCharacters else {
            throw Refusal.invalid(.invalidAgreements, "An agreement number is 1 to \(Self.maximumNumberLength) characters.")
        }
        self.number = trimmed
        self.billingCountry = billingCountry
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }

    var hasControlCharacters: Bool {
        unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
