import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation
import Reports

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write reports to files.", subcommands: [PSTN.self])

    struct PSTN: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pstn",
            abstract: "Export the PSTN and SMS usage report: a zip of the CSV and parameters.json, or an Excel workbook.",
            discussion: "Records that started in [from, to), by UTC start time, never further back than the tenant keeps usage."
        )

        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "The start, an ISO 8601 date or time (by default 28 days before --to).") var from: String?
        @Option(help: "The end, not included, an ISO 8601 date or time (by default now).") var to: String?
        @Option(help: "csv (a zip holding pstn-usage.csv and parameters.json) or xlsx.") var format = "csv"
        @Option(help: "The file to write; replaced if it exists.") var output: String
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await reportingRefusals {
                guard ["csv", "xlsx"].contains(format) else { throw Refusal.invalid(.invalidFormat, "--format is csv or xlsx.") }
                let now = SystemClock().now()
                let end = try to.map { try Self.instant($0, .invalidTo) } ?? now
                let start = try from.map { try Self.instant($0, .invalidFrom) } ?? end.adding(days: -28)
                guard start < end else { throw Refusal.invalid(.invalidFrom, "--from must come before --to.") }
                try await DatabaseLocation(options.database).withServices { services in
                    let stores = services.stores
                    let tenant = try await services.directory.tenant(TenantId(tenant))
                    let (reportFrom, reportTo) = UsageExport.range(of: tenant, from: start, to: end, at: now)
                    let total = try await stores.calls.usageRecordCount(for: tenant.id, from: reportFrom, to: reportTo)
                    let progress = ProgressBar("Exporting", total: total)
                    let export = UsageExport(stores: stores)
                    let destination = URL(fileURLWithPath: output)
                    let count =
                        format == "csv"
                        ? try await export.writeCSVZip(
                            tenant: tenant,
                            from: start,
                            to: end,
                            at: now,
                            destination: destination,
                            progress: progress.update
                        )
                        : try await export.writeXLSX(
                            tenant: tenant,
                            from: start,
                            to: end,
                            at: now,
                            destination: destination,
                            progress: progress.update
                        )
                    print("Wrote \(count) usage records of \(tenant.id) from \(reportFrom) to \(reportTo) to \(output)")
                }
            }
        }

        static func instant(_ text: String, _ code: ProblemCode) throws -> Instant {
            guard let instant = ISO8601.parse(text) else {
                throw Refusal.invalid(code, "--\(code.field) is an ISO 8601 date or time, such as 2026-11-01, not '\(text)'.")
            }
            return instant
        }
    }
}
