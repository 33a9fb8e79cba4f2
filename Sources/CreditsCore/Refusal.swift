/// Why a request was refused: a stable code for programs (`ProblemCode`), a sentence for people
/// and what to do about it. Nothing is written when a request is refused.
public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of refusal this is; the interfaces map it to their own status (HTTP 404, 409...).
    public enum Kind: String, Hashable, Sendable {
        case invalid, unauthenticated, notFound, conflict, notAllowed, paymentFailed, unavailable
        /// The request is not the shape the operation takes (a body that is not its JSON, a header missing).
        case badRequest
        /// The request carries more than the operation accepts.
        case tooLarge
        /// Too many attempts: try again after `retryAfterSeconds`.
        case throttled
        /// Too many requests waiting already: try again after `retryAfterSeconds`; nothing was done.
        case overloaded
        /// The HTTP framework's own refusal, with its status.
        case http
        /// A fault inside the service.
        case `internal`
    }

    public let code: ProblemCode
    /// This refusal in a sentence, with its particulars.
    public let detail: String
    /// What to do about it, where this refusal has advice of its own (`code.remedy` is the code's).
    public let remedy: String?
    public let retryAfterSeconds: Int64?

    public var kind: Kind { code.kind }

    public init(_ code: ProblemCode, detail: String, remedy: String? = nil, retryAfterSeconds: Int64? = nil) {
        self.code = code
        self.detail = detail
        self.remedy = remedy
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { remedy.map { "\(detail) \($0)" } ?? detail }

    /// A field of the request is not valid; `code` names it (`.invalidAmount`).
    public static func invalid(_ code: ProblemCode, _ detail: String) -> Refusal { Refusal(code, detail: detail) }

    public static func unknownTenant(_ tenant: TenantId) -> Refusal {
        Refusal(.unknownTenant, detail: "There is no tenant '\(tenant)'.")
    }

    public static func unknownUser(_ upn: String) -> Refusal {
        Refusal(.unknownUser, detail: "There is no user '\(upn)' in this tenant.")
    }
}

extension RawRepresentable where Self: CaseIterable, RawValue == String {
    /// The case named `text`, or a refusal with `code` (an `invalid…` code) listing the names it accepts.
    public static func parse(_ text: String, field code: ProblemCode) throws(Refusal) -> Self {
        guard let value = Self(rawValue: text) else {
            throw Refusal.invalid(code, "\(code.field) must be one of \(allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'.")
        }
        return value
    }
}
