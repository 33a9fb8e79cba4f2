import CreditsAPI
import CreditsCore
import CreditsEngine
import Foundation
import Hummingbird

/// Signing in and out in the browser. The sign-in form carries a token that its own cookie
/// repeats, so that another site cannot sign a browser in under an account of its choosing.
struct SignInPages {
    static let formCookie = "commscredits_sign_in"
    /// Anyone may post the form, so it stays small.
    static let formLimit = 4_096

    let pages: PageRenderer
    let access: AccessService
    let secureCookies: Bool

    struct Page {
        var message: String?
        var signedOut = false
        var enteredUpn = ""
        var enteredTenant = ""
        var formToken = ""
    }

    func add(to router: Router<APIRequestContext>) {
        router.get("admin/sign-in") { request, _ in
            form(Page(signedOut: request.uri.queryParameters.get("signedOut") != nil))
        }
        router.post("admin/sign-in") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context, limit: Self.formLimit)
            let upn = form["upn"] ?? ""
            let tenant = (form["tenantId"] ?? "").trimmingCharacters(in: .whitespaces)
            guard let expected = request.cookies[Self.formCookie]?.value, !expected.isEmpty, form["formToken"] == expected else {
                return self.form(
                    Page(message: "This sign-in form has expired or came from another site: sign in again here.", enteredUpn: upn),
                    status: .forbidden
                )
            }
            do {
                let signedIn = try await access.signIn(
                    upn: upn,
                    password: form["password"] ?? "",
                    tenantId: tenant.isEmpty ? nil : TenantId(tenant),
                    from: context.clientAddress
                )
                var response = Response.redirect(to: "/admin/billing/credits", type: .normal)
                let seconds = (signedIn.session.expiresAt.millisecondsSinceEpoch - signedIn.session.createdAt.millisecondsSinceEpoch) / 1000
                response.setCookie(SessionCookie.make(signedIn.cookie, maxAge: Int(seconds), secure: secureCookies))
                return response
            } catch let error as Refusal {
                return self.form(Page(message: error.detail, enteredUpn: upn, enteredTenant: tenant), status: error.httpStatus)
            }
        }
        router.post("admin/sign-out") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            if let cookie = request.cookies[SessionCookie.name]?.value,
                let (_, session) = try? await access.principal(sessionCookie: cookie), form["csrfToken"] == session.csrfToken
            {
                try await access.signOut(sessionCookie: cookie)
            }
            var response = Response.redirect(to: "/admin/sign-in?signedOut=1", type: .normal)
            response.setCookie(SessionCookie.make("", maxAge: 0, secure: secureCookies))
            return response
        }
    }

    /// The form with a new token, set in its cookie too.
    private func form(_ page: Page, status: HTTPResponse.Status = .ok) -> Response {
        var page = page
        page.formToken = AccessService.randomText(bytes: 24)
        var response = pages.render("sign-in", page, status: status)
        response.setCookie(
            Cookie(
                name: Self.formCookie,
                value: page.formToken,
                maxAge: 3600,
                path: "/admin/sign-in",
                secure: secureCookies,
                httpOnly: true,
                sameSite: .strict
            )
        )
        return response
    }
}
