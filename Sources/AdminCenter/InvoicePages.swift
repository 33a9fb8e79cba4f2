import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Reports

/// Billing > Invoices: every invoice of the credits (purchases and auto-recharges), newest
/// first, a page at a time, and the post-usage invoices of an NCE or MCA tenant.
struct InvoicePages {
    static let pageSize = 20

    let pages: PageRenderer
    let directory: DirectoryService
    let records: AccountRecords

    struct PostUsageRow {
        let number: String
        let month: String
        let issued: String
        let records: Int64
        let amount: String
    }
    struct Page {
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onInvoices = true
        let invoices: [CreditsPage.InvoiceRow]
        let nextPageLink: String?
        let firstPageLink: String?
        let postUsage: [PostUsageRow]
        let hasPostUsage: Bool
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("billing/invoices") { request, context in
            let tenantId = try context.administrator(may: .readBilling).tenantId
            let tenant = try await directory.tenant(tenantId)
            let before = request.uri.queryParameters.get("before").flatMap { Int64($0) }
            let invoices = try await records.invoices(of: tenantId, before: before, limit: Self.pageSize + 1)
            let shown = invoices.prefix(Self.pageSize)
            let postUsage = try await records.postUsageInvoices(of: tenantId).map { invoice in
                PostUsageRow(
                    number: invoice.number,
                    month: ReadableDate.month(invoice.month),
                    issued: ReadableDate.day(invoice.issuedAt),
                    records: invoice.records,
                    amount: MoneyText.forPeople(invoice.amountMinor, invoice.currency)
                )
            }
            let frame = PageFrame(context, tenantName: tenant.name)
            return pages.render(
                "invoices",
                Page(
                    upn: frame.upn,
                    tenantName: frame.tenantName,
                    csrfToken: frame.csrfToken,
                    invoices: shown.map { CreditsPage.InvoiceRow($0, tenant: tenant) },
                    nextPageLink: invoices.count > Self.pageSize ? shown.last.map { "/admin/billing/invoices?before=\($0.id)" } : nil,
                    firstPageLink: before == nil ? nil : "/admin/billing/invoices",
                    postUsage: postUsage,
                    hasPostUsage: !postUsage.isEmpty
                )
            )
        }
    }
}
