import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Mustache
import Reports

/// Invoices as JSON, and one invoice as a page to read or print when the client asks for HTML.
struct InvoiceRoutes {
    let directory: DirectoryService
    let records: AccountRecords
    let template: MustacheTemplate

    init(directory: DirectoryService, records: AccountRecords) {
        self.directory = directory
        self.records = records
        template = try! MustacheTemplate(string: InvoicePage.template)
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        let invoices = router.group("v1/tenants/:tenantId/credits/invoices")
        invoices.get { request, context in
            let tenant = try await directory.tenant(context.tenantId(for: .readBilling))
            let limit = try request.limit()
            let before = try request.beforeCursor()
            let page = try await records.invoices(of: tenant.id, before: before, limit: limit)
            return InvoiceList(invoices: page.map(InvoiceBody.init), next: page.count == limit ? page.last?.id : nil)
        }
        invoices.get(":invoiceId") { request, context -> Response in
            let tenant = try await directory.tenant(context.tenantId(for: .readBilling))
            guard let id = Int64(try context.parameters.require("invoiceId")),
                let invoice = try await records.invoice(id, of: tenant.id)
            else { throw Problem(.unknownInvoice, detail: "There is no such invoice for this tenant.") }
            if request.headers[.accept]?.contains("text/html") == true {
                let html = template.render(InvoicePage(invoice: invoice, tenant: tenant))
                return Response(status: .ok, headers: PageHeaders.html(inlineStyle: true), body: .init(byteBuffer: ByteBuffer(string: html)))
            }
            return try InvoiceBody(invoice).response(from: request, context: context)
        }
    }
}

/// What the invoice page shows; the template escapes every value.
struct InvoicePage {
    let number: String
    let issued: String
    let tenantName: String
    let tenantId: String
    let country: String
    let description: String
    let amount: String
    let paymentMethod: String
    let lotId: String

    init(invoice: Invoice, tenant: Tenant) {
        number = invoice.number
        issued = ReadableDate.day(invoice.issuedAt)
        tenantName = tenant.name
        tenantId = tenant.id.rawValue
        country = tenant.country.rawValue
        description = invoice.kind == .purchase ? "Communications Credits: funds added" : "Communications Credits: auto-recharge"
        amount = MoneyText.forPeople(invoice.amountMinor, invoice.currency)
        paymentMethod = invoice.paymentMethod.description
        lotId = invoice.lotId.description
    }

    static let template = """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Invoice {{number}}</title>
        <style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ccc}
        td.amount{text-align:right}</style></head>
        <body>
        <h1>Invoice {{number}}</h1>
        <p>Issued {{issued}} to {{tenantName}} ({{tenantId}}, {{country}})</p>
        <table>
        <thead><tr><th scope="col">Description</th><th scope="col">Amount</th></tr></thead>
        <tbody><tr><td>{{description}} (lot {{lotId}})</td><td class="amount">{{amount}}</td></tr></tbody>
        <tfoot><tr><th scope="row">Total</th><td class="amount">{{amount}}</td></tr></tfoot>
        </table>
        <p>Paid by {{paymentMethod}}.</p>
        <p>Funds expire 12 months after purchase; what is not used by then is forfeited.</p>
        </body>
        </html>
        """
}
