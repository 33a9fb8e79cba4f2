import CreditsAPI
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Hummingbird
import Reports

/// Analytics & reports > Usage reports > PSTN and SMS usage: the last 7 or 28 days or a custom
/// range, a page of records at a time, oldest first.
struct UsagePages {
    let pages: PageRenderer
    let directory: DirectoryService
    let records: AccountRecords
    let clock: any CreditsClock
    static let pageSize = 50

    struct Row {
        let start: String
        let user: String
        let callType: String
        let destination: String
        let number: String
        let duration: Int64
        let capability: String
        let charge: String
    }
    struct Page {
        let upn: String
        let tenantName: String
        let csrfToken: String
        let onUsage = true
        let last7: Bool
        let last28: Bool
        let custom: Bool
        let fromDate: String
        let toDate: String
        var error: String?
        var summary = ""
        var records: [Row] = []
        var nextPageLink: String?
        var firstPageLink: String?
        var exportLink: String?
        /// The starts refused in the range, by reason.
        var refusals: [RefusalRow] = []
        var refusedCalls = ""
    }

    struct RefusalRow {
        let reason, detail, calls: String
    }

    /// The range a form asks for: the last 7 or 28 days including today, or whole custom days.
    private func range(_ query: Parameters) -> (name: String, from: Instant, to: Instant, error: String?) {
        let name = query.get("range") ?? "7"
        let today = clock.now().civilDateAndTime.date.instant()
        if name == "custom" {
            guard let start = query.get("from").flatMap(ISO8601.parse), let end = query.get("to").flatMap(ISO8601.parse), start <= end else {
                return (name, today.adding(days: -6), today.adding(days: 1), "Choose a From date on or before the To date.")
            }
            return (name, start, end.adding(days: 1), nil)
        }
        return (name, today.adding(days: name == "28" ? -27 : -6), today.adding(days: 1), nil)
    }

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("reports/pstn-usage/export") { request, context -> Response in
            let tenant = try await directory.tenant(context.administrator(may: .readBilling).tenantId)
            let (_, from, to, error) = range(request.uri.queryParameters)
            if let error { throw Refusal.invalid(.invalidRange, error) }
            let name = "pstn-usage-\(tenant.id)-\(ISO8601.formatDate(from))"
            let export = records.export
            if request.uri.queryParameters.get("format") == "xlsx" {
                return try await FileDownload.response(named: name + ".xlsx", contentType: FileDownload.xlsx) { file in
                    try await export.writeXLSX(tenant: tenant, from: from, to: to, at: clock.now(), destination: file)
                }
            }
            return try await FileDownload.response(named: name + ".zip") { file in
                try await export.writeCSVZip(tenant: tenant, from: from, to: to, at: clock.now(), destination: file)
            }
        }
        router.get("reports/pstn-usage") { request, context in
            let tenantId = try context.administrator(may: .readBilling).tenantId
            let tenant = try await directory.tenant(tenantId)
            let frame = PageFrame(context, tenantName: tenant.name)
            let query = request.uri.queryParameters
            let (range, from, to, error) = range(query)
            var page = Page(
                upn: frame.upn,
                tenantName: frame.tenantName,
                csrfToken: frame.csrfToken,
                last7: range == "7",
                last28: range == "28",
                custom: range == "custom",
                fromDate: ISO8601.formatDate(from),
                toDate: ISO8601.formatDate(to.adding(days: -1)),
                error: error
            )
            guard error == nil else { return pages.render("usage", page, status: .unprocessableContent) }
            let refused = RefusedCalls.byReason(
                try await records.refusedCalls(of: tenantId, from: from.civilDateAndTime.date, to: to.adding(days: -1).civilDateAndTime.date)
            )
            let total = refused.reduce(0) { $0 + $1.calls }
            page.refusedCalls =
                total == 0 ? "No call was refused." : "\(MoneyText.grouped(total)) call start\(total == 1 ? " was" : "s were") refused."
            page.refusals = refused.map { RefusalRow(reason: $0.reason.rawValue, detail: $0.reason.detail, calls: MoneyText.grouped($0.calls)) }
            let after = query.get("after").flatMap(UsageCursor.init(token:))
            let usage = try await records.usageRecords(of: tenantId, from: from, to: to, after: after, limit: Self.pageSize)
            page.summary =
                "\(ReadableDate.day(from)) to \(ReadableDate.day(to.adding(days: -1))) (UTC): \(usage.count) record\(usage.count == 1 ? "" : "s") on this page."
            page.records = usage.map { record in
                Row(
                    start: ReadableDate.minute(record.startTime),
                    user: record.userDisplayName ?? record.upn?.rawValue ?? "",
                    callType: record.callType.rawValue,
                    destination: record.destinationName ?? "",
                    number: UsageReportRow.numbers(record).destination,
                    duration: record.durationSeconds,
                    capability: record.capability.rawValue,
                    charge: MoneyText.forPeople(record.chargeMinor, record.currency)
                )
            }
            let base = "/admin/reports/pstn-usage?range=\(range)&from=\(page.fromDate)&to=\(page.toDate)"
            page.exportLink = "/admin/reports/pstn-usage/export?range=\(range)&from=\(page.fromDate)&to=\(page.toDate)"
            if let next = UsageCursor.next(after: usage, limit: Self.pageSize) {
                page.nextPageLink = base + "&after=" + (next.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            }
            if after != nil { page.firstPageLink = base }
            return pages.render("usage", page)
        }
    }
}
