import CreditsAPI
import CreditsCore
import CreditsEngine
import Foundation
import Hummingbird

/// Lets into `/admin` only a browser with a live session (others are sent to sign in), and
/// accepts a form post only with the session's CSRF token among its fields.
struct AdminSessionMiddleware: RouterMiddleware {
    let access: AccessService
    let pages: PageRenderer

    /// A refusal drawn as a page, in the frame of the signed-in administrator.
    struct RefusalPage {
        let upn: String
        let tenantName = ""
        let csrfToken: String
        let heading: String
        let detail: String
        let remedy: String?
    }

    func handle(
        _ request: Request,
        context: APIRequestContext,
        next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let cookie = request.cookies[SessionCookie.name]?.value,
            let (principal, session) = try? await access.principal(sessionCookie: cookie)
        else { return Response.redirect(to: "/admin/sign-in", type: .found) }
        var context = context
        context.principal = principal
        context.session = session
        var request = request
        if request.method == .post {
            let form = try await FormFields(request: &request, context: context)
            guard form["csrfToken"] == session.csrfToken else {
                return Response(
                    status: .forbidden,
                    headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "This form has expired. Go back, reload the page and try again."))
                )
            }
        }
        do {
            return try await next(request, context)
        } catch let error as Refusal {
            let heading = error.kind == .notAllowed ? "Your role cannot do this" : "This could not be done"
            return pages.render(
                "refused",
                RefusalPage(
                    upn: session.upn.rawValue,
                    csrfToken: session.csrfToken,
                    heading: heading,
                    detail: error.detail,
                    remedy: error.remedy
                ),
                status: error.httpStatus
            )
        }
    }
}

/// The fields of an `application/x-www-form-urlencoded` body. Reading them keeps the body, so
/// that the route reads it again.
struct FormFields {
    let fields: [String: String]

    /// `limit`: a form is small; the sign-in form, which anyone may post, smaller still.
    init(request: inout Request, context: APIRequestContext, limit: Int = 1 << 20) async throws {
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch {
            throw HTTPError(.contentTooLarge, message: "The form is larger than \(limit) bytes.")
        }
        var fields: [String: String] = [:]
        for (name, value) in Self.pairs(String(buffer: body)) where fields[name] == nil { fields[name] = value }
        self.fields = fields
    }

    /// Every name and value in order, a name as often as the form sends it (checkboxes).
    static func pairs(_ body: String) -> [(String, String)] {
        body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map { part in
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
        }
    }

    subscript(name: String) -> String? { fields[name] }

    /// A field of a form sent with GET, decoded as a form is ("+" a space, "%2B" a plus).
    static func query(_ name: String, of request: Request) -> String? {
        pairs(request.uri.query ?? "").first { $0.0 == name }?.1
    }
}
