import CreditsAPI
import CreditsCore
import CreditsEngine
import Hummingbird

/// Signing in and out in the browser.
struct SignInPages {
    let pages: PageRenderer
    let access: AccessService
    let secureCookies: Bool

    struct Page {
        var message: String?
        var signedOut = false
        var enteredUpn = ""
    }

    func add(to router: Router<APIRequestContext>) {
        router.get("admin/sign-in") { request, _ in
            pages.render("sign-in", Page(signedOut: request.uri.queryParameters.get("signedOut") != nil))
        }
        router.post("admin/sign-in") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            let upn = form["upn"] ?? ""
            do {
                let signedIn = try await access.signIn(upn: upn, password: form["password"] ?? "")
                var response = Response.redirect(to: "/admin/billing/credits", type: .normal)
                let seconds = (signedIn.session.expiresAt.millisecondsSinceEpoch - signedIn.session.createdAt.millisecondsSinceEpoch) / 1000
                response.setCookie(SessionCookie.make(signedIn.cookie, maxAge: Int(seconds), secure: secureCookies))
                return response
            } catch let error as BillingError {
                return pages.render("sign-in", Page(message: error.detail, enteredUpn: upn), status: error.httpStatus)
            }
        }
        router.post("admin/sign-out") { request, context -> Response in
            var request = request
            let form = try await FormFields(request: &request, context: context)
            if let cookie = request.cookies[SessionCookie.name]?.value,
               let (_, session) = try? await access.principal(sessionCookie: cookie), form["csrfToken"] == session.csrfToken {
                try await access.signOut(sessionCookie: cookie)
            }
            var response = Response.redirect(to: "/admin/sign-in?signedOut=1", type: .normal)
            response.setCookie(SessionCookie.make("", maxAge: 0, secure: secureCookies))
            return response
        }
    }
}
