import CreditsCore
import CreditsEngine
import Hummingbird
import Reports

/// `GET /v1/tenants/{tenantId}/reports/pstn-usage`: the usage export as a zipped CSV with its parameters, or as .xlsx.
struct ReportRoutes {
    let directory: DirectoryService
    let export: UsageExport
    let clock: any CreditsClock

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("v1/tenants/:tenantId/reports/pstn-usage") { request, context -> Response in
            let tenantId = try await directory.tenant(context.tenantId(for: .readBilling)).id
            let (from, to) = try request.dateRange(now: clock.now())
            switch request.uri.queryParameters.get("format") ?? "csv" {
            case "csv":
                return try await FileDownload.response(named: "pstn-usage-\(tenantId).zip") { file in
                    try await export.writeCSVZip(tenantId: tenantId, from: from, to: to, at: clock.now(), destination: file)
                }
            case "xlsx":
                return try await FileDownload.response(named: "pstn-usage-\(tenantId).xlsx", contentType: FileDownload.xlsx) { file in
                    try await export.writeXLSX(tenantId: tenantId, from: from, to: to, at: clock.now(), destination: file)
                }
            default:
                throw Problem.badRequest("format is csv (a zipped CSV) or xlsx.")
            }
        }
    }
}
