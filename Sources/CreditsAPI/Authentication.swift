import CreditsCore
import CreditsEngine
import Hummingbird

/// Finds out who is asking before any route runs: a bearer token, or an administrator's session
/// cookie (whose form posts and other changes must also carry the session's CSRF token). Then
/// holds each credential to its request rate. A request without a working credential counts
/// against its client address (`anonymous`); once an address has used that up, a credential
/// this instance does not already know from it is answered 429 before it is looked up.
struct AuthenticationMiddleware: RouterMiddleware {
    static let csrfHeader = "X-CSRF-Token"

    let access: AccessService
    let limiter: RateLimiter
    let anonymous: RateLimiter

    func handle(
        _ request: Request,
        context: APIRequestContext,
        next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let address = RateLimiter.Key.address(context.clientAddress ?? "unknown")
        if anonymous.isEmpty(address), !isKnown(request) { try anonymous.admit(address) }
        do {
            try await authenticate(request, &context)
        } catch let error as Refusal where error.kind == .unauthenticated {
            try anonymous.admit(address)
            throw error
        }
        try limiter.admit(.credential(context.caller().credential))
        return try await next(request, context)
    }

    /// Whether the request's bearer token was checked recently, so that asking costs nothing.
    private func isKnown(_ request: Request) -> Bool {
        Self.bearerSecret(request).map(access.isRecentlyChecked(bearer:)) ?? false
    }

    /// The secret of an `Authorization: Bearer <secret>` header; nil when there is none or it is not a bearer.
    private static func bearerSecret(_ request: Request) -> String? {
        guard let authorization = request.headers[.authorization], authorization.count > 7,
            authorization.prefix(7).lowercased() == "bearer "
        else { return nil }
        return String(authorization.dropFirst(7))
    }

    private func authenticate(_ request: Request, _ context: inout APIRequestContext) async throws {
        if request.headers[.authorization] != nil {
            guard let secret = Self.bearerSecret(request) else { throw Refusal.unauthenticated }
            context.principal = try await access.principal(bearer: secret)
            return
        }
        guard let cookie = request.cookies[SessionCookie.name]?.value else { throw Refusal.unauthenticated }
        let (principal, session) = try await access.principal(sessionCookie: cookie)
        if ![.get, .head, .options].contains(request.method), request.headers[.init(Self.csrfHeader)!] != session.csrfToken {
            throw Problem(
                .csrfTokenMissing,
                detail: "A change made with a session cookie must carry the session's csrfToken in the X-CSRF-Token header."
            )
        }
        context.principal = principal
        context.session = session
    }
}
