import CreditsCore
import CreditsEngine
import Foundation
import Hummingbird
import Reports

/// `GET /v1/tenants/{tenantId}/reports/pstn-usage`: the usage export as a zip (CSV and its parameters).
struct ReportRoutes {
    let directory: DirectoryService
    let export: UsageExport
    let clock: any CreditsClock

    func add(to router: some RouterMethods<APIRequestContext>) {
        router.get("v1/tenants/:tenantId/reports/pstn-usage") { request, context -> Response in
            let tenantId = try await directory.tenant(context.tenantId(for: .readBilling)).id
            let (from, to) = try request.dateRange(now: clock.now())
            return try await Self.zipResponse(named: "pstn-usage-\(tenantId).zip") { file in
                try await export.writeCSVZip(tenantId: tenantId, from: from, to: to, at: clock.now(), destination: file)
            }
        }
    }

    /// Has `write` make the zip in a temporary file, then answers with it, read from disk in
    /// 64 KiB pieces and removed once sent.
    static func zipResponse(named name: String, _ write: (URL) async throws -> Void) async throws -> Response {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).zip")
        do {
            try await write(file)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
        let handle = try FileHandle(forReadingFrom: file)
        let body = ResponseBody { writer in
            defer {
                try? handle.close()
                try? FileManager.default.removeItem(at: file)
            }
            while let chunk = try handle.read(upToCount: 64 * 1024), !chunk.isEmpty {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/zip", .contentDisposition: "attachment; filename=\"\(name)\""],
                        body: body)
    }
}
