import CreditsCore
import CreditsEngine
import Foundation
import Hummingbird

/// Signing administrators in and out (`/v1/sessions`), a tenant's bearer tokens
/// (`/v1/tenants/{tenantId}/tokens`) and users' passwords.
struct AccessRoutes {
    let access: AccessService
    /// Off only where the service is reached over plain HTTP from elsewhere than this machine.
    let secureCookies: Bool

    /// The most a sign-in body may be: anyone may send one, so it stays small.
    static let signInBodyLimit = 4_096

    /// `POST /v1/sessions` is the one route under `/v1` that needs no credential; each client
    /// address is held to `anonymous`'s rate before the body is read.
    func addSignIn(to router: Router<APIRequestContext>, anonymous: RateLimiter) {
        router.post("v1/sessions") { request, context in
            try anonymous.admit(.address(context.clientAddress ?? "unknown"))
            let input = try await request.decodeJSON(SignInInput.self, context: context, limit: Self.signInBodyLimit)
            let signedIn = try await access.signIn(
                upn: input.upn,
                password: input.password,
                tenantId: input.tenantId.map(TenantId.init),
                from: context.clientAddress
            )
            var response = EditedResponse(status: .created, response: SessionBody(signedIn.session, principal: signedIn.principal))
            response.setCookie(
                sessionCookie(
                    signedIn.cookie,
                    maxAge: Int(
                        signedIn.session.expiresAt.millisecondsSinceEpoch
                            - signedIn.session.createdAt.millisecondsSinceEpoch
                    ) / 1000
                )
            )
            return response
        }
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("v1/sessions/current") { _, context in
            guard let session = context.session else {
                throw Refusal(
                    .noSession,
                    detail: "This request was not made with a session cookie; sign in at POST /v1/sessions."
                )
            }
            return SessionBody(session, principal: try context.caller())
        }
        router.delete("v1/sessions/current") { request, _ in
            if let cookie = request.cookies[SessionCookie.name]?.value {
                try await access.signOut(sessionCookie: cookie)
            }
            var response = Response(status: .noContent)
            response.setCookie(sessionCookie("", maxAge: 0))
            return response
        }

        let tokens = router.group("v1/tenants/:tenantId/tokens")
        tokens.post { request, context in
            let tenantId = try context.tenantId(for: .administerTenant)
            let input = try await request.decodeJSON(TokenInput.self, context: context)
            let scopes = try Scope.parseList(input.scopes.joined(separator: ","))
            let made = try await access.createToken(
                name: input.name ?? "",
                tenantId: tenantId,
                scopes: scopes,
                lifetimeDays: input.expiresInDays ?? AccessToken.defaultLifetimeDays,
                madeBy: context.caller()
            )
            return EditedResponse(
                status: .created,
                headers: [IdempotencyMiddleware.secretFieldHeader: "token"],
                response: TokenBody(made.token, secret: made.secret)
            )
        }
        tokens.get { _, context in
            let tenantId = try context.tenantId(for: .administerTenant)
            return TokenList(tokens: try await access.tokens(of: tenantId).map { TokenBody($0) })
        }
        tokens.delete(":tokenId") { _, context in
            let tenantId = try context.tenantId(for: .administerTenant)
            return TokenBody(try await access.revokeToken(try context.parameters.require("tokenId"), of: tenantId))
        }

        router.put("v1/tenants/:tenantId/users/:upn/password") { request, context in
            let tenantId = try context.tenantId(for: .manageUsers)
            let input = try await request.decodeJSON(PasswordInput.self, context: context)
            try await access.setPassword(input.password, for: context.userName(), in: tenantId, by: context.caller())
            return HTTPResponse.Status.noContent
        }
    }

    private func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
        SessionCookie.make(value, maxAge: maxAge, secure: secureCookies)
    }
}

struct SignInInput: Decodable {
    let upn: String
    let password: String
    /// Needed only when the name and password sign in to more than one organization.
    let tenantId: String?
}

struct PasswordInput: Decodable {
    let password: String
}

struct SessionBody: ResponseEncodable {
    let upn: String
    let tenantId: String
    let permissions: [String]
    let csrfToken: String
    let expiresAt: String

    init(_ session: AdminSession, principal: Principal) {
        upn = session.upn.rawValue
        tenantId = session.tenantId.rawValue
        permissions = principal.permissions.map(\.rawValue).sorted()
        csrfToken = session.csrfToken
        expiresAt = ISO8601.format(session.expiresAt)
    }
}

struct TokenInput: Decodable {
    let name: String?
    let scopes: [String]
    let expiresInDays: Int64?
}

struct TokenBody: ResponseEncodable {
    let id: String
    let name: String
    let tenantId: String?
    let scopes: [String]
    let createdAt: String
    let expiresAt: String
    let revokedAt: String?
    /// Only in the answer that creates the token.
    let token: String?

    init(_ token: AccessToken, secret: String? = nil) {
        id = token.id
        name = token.name
        tenantId = token.tenantId?.rawValue
        scopes = token.scopes.sorted().map(\.rawValue)
        createdAt = ISO8601.format(token.createdAt)
        expiresAt = ISO8601.format(token.expiresAt)
        revokedAt = token.revokedAt.map(ISO8601.format)
        self.token = secret
    }
}

struct TokenList: ResponseEncodable {
    let tokens: [TokenBody]
}
