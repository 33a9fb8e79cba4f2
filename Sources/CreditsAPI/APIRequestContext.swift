public import CreditsCore
public import Hummingbird
public import NIOCore

/// The context of every request to the API: who is asking, once the authentication middleware
/// has found out.
public struct APIRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set for every route behind `AuthenticationMiddleware`.
    public var principal: Principal?
    /// Set when the caller came with an administrator's session cookie.
    public var session: AdminSession?
    /// The client's address, as the connection shows it (a proxy in front shows its own).
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address, for the limits that count by address.
    public var clientAddress: String? { remoteAddress?.ipAddress }

    /// JSON bodies stay small; CSV uploads (users, rate decks) are the largest bodies accepted.
    public var maxUploadSize: Int { 16 * 1024 * 1024 }

    /// The caller; only routes behind the authentication middleware ask.
    func caller() throws -> Principal {
        guard let principal else { throw Refusal.unauthenticated }
        return principal
    }

    /// The `tenantId` of the path, once the caller may do `permission` there: another tenant's
    /// id is answered as unknown (404), a missing permission as forbidden (403).
    func tenantId(for permission: Permission) throws -> TenantId {
        let tenant = TenantId(try parameters.require("tenantId"))
        try caller().authorize(permission, in: tenant)
        return tenant
    }

    /// The `tenantId` of the path, for what any caller of that tenant may read.
    func tenantIdForAnyCaller() throws -> TenantId {
        let tenant = TenantId(try parameters.require("tenantId"))
        try caller().authorizeAny(in: tenant)
        return tenant
    }
}
