import CreditsCore
import CreditsEngine
import CreditsStore
import Hummingbird
import Reports

/// `GET /v1/tenants/{tenantId}/reports/pstn`: the PSTN and SMS usage report as JSON pages, or
/// the whole range as a zipped CSV with its parameters, or as .xlsx; and
/// `GET /v1/tenants/{tenantId}/reports/funding-advice`; `.../reports/refused-calls`.
struct ReportRoutes {
    let directory: DirectoryService
    let records: AccountRecords
    let clock: any CreditsClock

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("v1/tenants/:tenantId/reports/pstn") { request, context -> Response in
            let tenant = try await directory.tenant(context.tenantId(for: .readBilling))
            let (from, to) = try request.dateRange(now: clock.now())
            let export = records.export
            switch request.uri.queryParameters.get("format") ?? "json" {
            case "json":
                return try await page(of: tenant, from: from, to: to, request).response(from: request, context: context)
            case "csv":
                return try await FileDownload.response(named: "pstn-usage-\(tenant.id).zip") { file in
                    try await export.writeCSVZip(tenant: tenant, from: from, to: to, at: clock.now(), destination: file)
                }
            case "xlsx":
                return try await FileDownload.response(named: "pstn-usage-\(tenant.id).xlsx", contentType: FileDownload.xlsx) { file in
                    try await export.writeXLSX(tenant: tenant, from: from, to: to, at: clock.now(), destination: file)
                }
            default:
                throw Problem.badRequest("format is json, csv (a zipped CSV) or xlsx.")
            }
        }
        router.get("v1/tenants/:tenantId/reports/refused-calls") { request, context -> RefusedCallsBody in
            let tenant = try await directory.tenant(context.tenantId(for: .readBilling))
            let days =
                try request.uri.queryParameters.get("days").map { text in
                    guard let days = Int(text), (1...RefusedCallsBody.maximumDays).contains(days) else {
                        throw Problem.badRequest("days is a whole number of days from 1 to \(RefusedCallsBody.maximumDays) (7 or 28, say).")
                    }
                    return days
                } ?? 7
            let today = clock.now().civilDateAndTime.date
            let from = clock.now().adding(days: -Int64(days - 1)).civilDateAndTime.date
            return RefusedCallsBody(from: from, to: today, try await records.refusedCalls(of: tenant.id, from: from, to: today))
        }
        router.get("v1/tenants/:tenantId/reports/funding-advice") { request, context -> FundingAdviceBody in
            let tenant = try await directory.tenant(context.tenantId(for: .readBilling))
            let coverDays =
                try request.uri.queryParameters.get("coverDays").map { text in
                    guard let days = Int64(text) else { throw Problem.badRequest("coverDays is a whole number of days.") }
                    return days
                } ?? FundingAdvice.standardCoverDays
            let now = clock.now()
            guard let advice = try await records.advisor.advice(for: tenant, coverDays: coverDays, at: now) else {
                return FundingAdviceBody(notReady: tenant.currency, at: now)
            }
            return FundingAdviceBody(advice)
        }
    }

    private func page(of tenant: Tenant, from requestedFrom: Instant, to requestedTo: Instant, _ request: Request) async throws -> UsageReportPage {
        let limit = try request.limit()
        let (from, to) = UsageExport.range(of: tenant, from: requestedFrom, to: requestedTo, at: clock.now())
        let usage = try await records.usageRecords(of: tenant.id, from: from, to: to, after: request.usageCursor(), limit: limit)
        return UsageReportPage(
            from: ISO8601.format(from),
            to: ISO8601.format(to),
            columns: UsageReportRow.columns,
            rows: usage.map(UsageReportRow.values),
            next: UsageCursor.next(after: usage, limit: limit)?.token
        )
    }
}

/// A page of the report: each row holds the values of `columns`, in their order, as the CSV writes them.
struct UsageReportPage: ResponseEncodable {
    let from: String
    let to: String
    let columns: [String]
    let rows: [[String]]
    let next: String?
}

/// The starts refused in the last days (UTC, today included), by reason and by day.
struct RefusedCallsBody: ResponseEncodable {
    static let maximumDays = 90

    struct ReasonBody: Encodable {
        let reason: String
        let detail: String
        let calls: Int64
    }

    struct DayBody: Encodable {
        let day: String
        let reason: String
        let calls: Int64
    }

    let from: String
    let to: String
    let calls: Int64
    let reasons: [ReasonBody]
    let days: [DayBody]

    init(from: CivilDate, to: CivilDate, _ counts: [RefusedCalls]) {
        self.from = ISO8601.formatDate(from)
        self.to = ISO8601.formatDate(to)
        calls = counts.reduce(0) { $0 + $1.calls }
        reasons = RefusedCalls.byReason(counts).map { ReasonBody(reason: $0.reason.rawValue, detail: $0.reason.detail, calls: $0.calls) }
        days = counts.map { DayBody(day: ISO8601.formatDate($0.day), reason: $0.reason.rawValue, calls: $0.calls) }
    }
}
