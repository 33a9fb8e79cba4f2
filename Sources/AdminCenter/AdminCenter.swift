public import CreditsAPI
import CreditsCore
public import CreditsEngine
import CreditsStore
import Foundation
public import Hummingbird
import Mustache
import Reports

/// The admin center's pages under `/admin`: server-rendered from the templates in
/// `Resources/templates`, for an administrator signed in with a session cookie. Thin like the
/// API: each page reads through the same services and checks the same permissions.
public struct AdminCenter: Sendable {
    let pages: PageRenderer
    let access: AccessService
    let billing: BillingService
    let calls: CallService
    let directory: DirectoryService
    let controls: CallControlService
    let records: AccountRecords
    let clock: any CreditsClock
    let secureCookies: Bool
    let supportURL: String?

    /// `supportURL` is where an administrator opens a support ticket, as the operator gives it.
    public init(
        services: CreditsServices,
        billing: BillingService,
        calls: CallService,
        secureCookies: Bool,
        supportURL: String? = nil
    ) async throws {
        pages = try await PageRenderer()
        access = services.access
        self.billing = billing
        self.calls = calls
        directory = services.directory
        controls = services.controls
        records = AccountRecords(stores: services.stores)
        clock = services.clock
        self.secureCookies = secureCookies
        self.supportURL = supportURL
    }

    public func addRoutes(to router: Router<APIRequestContext>) {
        router.get("admin/admin.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(bytes: PageRenderer.stylesheet))
            )
        }
        SignInPages(pages: pages, access: access, secureCookies: secureCookies).add(to: router)
        let signedIn = router.group("admin").add(middleware: AdminSessionMiddleware(access: access, pages: pages))
        signedIn.get { _, _ in Response.redirect(to: "/admin/billing/credits", type: .found) }
        CreditsPages(pages: pages, billing: billing, directory: directory, controls: controls, records: records, clock: clock).add(to: signedIn)
        PurchasePages(pages: pages, billing: billing, directory: directory, records: records, clock: clock, supportURL: supportURL).add(to: signedIn)
        PaymentMethodPages(pages: pages, billing: billing, directory: directory, records: records, clock: clock).add(to: signedIn)
        UserPages(pages: pages, directory: directory, controls: controls).add(to: signedIn)
        UsagePages(pages: pages, directory: directory, records: records, clock: clock).add(to: signedIn)
        NotificationPages(pages: pages, directory: directory, records: records).add(to: signedIn)
        RatePages(pages: pages, calls: calls, directory: directory, records: records, clock: clock).add(to: signedIn)
        InvoicePages(pages: pages, directory: directory, records: records).add(to: signedIn)
        ControlPages(pages: pages, controls: controls, directory: directory).add(to: signedIn)
    }
}

/// Renders a template inside the layout, with what every page's header needs.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    static let stylesheet: [UInt8] = Array(try! Data(contentsOf: Bundle.module.url(forResource: "admin", withExtension: "css")!))

    init() async throws {
        library = try await MustacheLibrary(directory: Bundle.module.resourceURL!.appendingPathComponent("templates").path)
    }

    func render(_ template: String, _ page: Any, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(page, withTemplate: template) ?? "<!DOCTYPE html><title>Error</title><h1>The page could not be drawn</h1>"
        return Response(status: status, headers: PageHeaders.html(), body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// What the layout shows of the signed-in administrator.
struct PageFrame {
    let upn: String
    let tenantName: String
    let csrfToken: String

    init(_ context: APIRequestContext, tenantName: String) {
        upn = context.session?.upn.rawValue ?? ""
        self.tenantName = tenantName
        csrfToken = context.session?.csrfToken ?? ""
    }
}

extension Refusal {
    /// What a page says of a refusal: what happened, then what to do.
    var inWords: String { [detail, remedy].compactMap { $0 }.joined(separator: " ") }
}
