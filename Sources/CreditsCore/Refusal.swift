/// Why a tenant, user, license or purchase request was refused: a stable code for programs, a
/// sentence for people and, where one exists, what to do about it. Nothing is written when a
/// request is refused.
public struct BillingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of refusal this is; the interfaces map it to their own status (HTTP 404, 409...).
    public enum Kind: String, Hashable, Sendable {
        case invalid, unauthenticated, notFound, conflict, notAllowed, paymentFailed, unavailable
        /// Too many attempts: try again after `retryAfterSeconds`.
        case throttled
        /// Too many requests waiting already: try again after `retryAfterSeconds`; nothing was done.
        case overloaded
    }

    public let kind: Kind
    public let code: String
    public let detail: String
    public let remedy: String?
    public let retryAfterSeconds: Int64?

    public init(_ kind: Kind, code: String, detail: String, remedy: String? = nil, retryAfterSeconds: Int64? = nil) {
        self.kind = kind
        self.code = code
        self.detail = detail
        self.remedy = remedy
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { remedy.map { "\(detail) \($0)" } ?? detail }

    public static func invalid(_ field: String, _ detail: String) -> BillingError {
        BillingError(.invalid, code: "invalid" + field.prefix(1).uppercased() + field.dropFirst(), detail: detail)
    }

    public static func unknownTenant(_ tenant: TenantId) -> BillingError {
        BillingError(.notFound, code: "unknownTenant", detail: "There is no tenant '\(tenant)'.")
    }

    public static func unknownUser(_ upn: String) -> BillingError {
        BillingError(.notFound, code: "unknownUser", detail: "There is no user '\(upn)' in this tenant.")
    }
}

extension RawRepresentable where Self: CaseIterable, RawValue == String {
    /// The case named `text`, or a refusal (`invalid<Field>`) listing the names it accepts.
    public static func parse(_ text: String, field: String) throws(BillingError) -> Self {
        guard let value = Self(rawValue: text) else {
            throw BillingError.invalid(field, "\(field) must be one of \(allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'.")
        }
        return value
    }
}
